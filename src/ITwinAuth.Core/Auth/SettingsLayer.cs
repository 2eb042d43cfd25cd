namespace ITwinAuth.Core;

/// <summary>One place's settings and what kind of place it is.</summary>
public sealed record SettingsLayer(SettingOrigin Origin, AppSettings Settings);
