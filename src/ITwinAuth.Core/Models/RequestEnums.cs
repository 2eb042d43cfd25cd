namespace ITwinAuth;

/// <summary>The methods iTwin APIs use.</summary>
public enum ITwinHttpMethod
{
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
}

/// <summary>The Prefer header's return preference: minimal (the platform's default) or the full representation.</summary>
public enum ITwinPrefer
{
    Minimal,
    Representation,
}
