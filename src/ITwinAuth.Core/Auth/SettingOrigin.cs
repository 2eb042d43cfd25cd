namespace ITwinAuth.Core;

/// <summary>
/// Where a connection setting came from, strongest first. "Environment" is the -Environment
/// deployment (its hosts), as everywhere in the module; the ITWIN_*/ITP_* variables are always
/// "EnvironmentVariable".
/// </summary>
public enum SettingOrigin
{
    Parameter,
    Secret,
    Metadata,
    EnvironmentVariable,
    Environment,
    Default,
}
