namespace ITwinAuth.Core;

/// <summary>Where a connection setting came from, strongest first.</summary>
public enum SettingOrigin
{
    Parameter,
    Secret,
    Metadata,
    EnvironmentVariable,
    Environment,
    Default,
}
