namespace ITwinAuth.Core;

/// <summary>One place's settings and what kind of place it is.</summary>
public sealed class SettingsLayer
{
    public SettingsLayer(SettingOrigin origin, AppSettings settings)
    {
        Origin = origin;
        Settings = settings;
    }

    public SettingOrigin Origin { get; }
    public AppSettings Settings { get; }
}
