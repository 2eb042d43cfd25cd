using System.Globalization;

namespace ITwinAuth.Emulator;

/// <summary>The itwin-emulator command line: options, their help text, and what to print once ready.</summary>
public sealed class CommandLine
{
    public const string Usage = """
        itwin-emulator: the iTwin Platform (IMS and API) on loopback, for tests and offline pipelines.

        Usage: itwin-emulator [options]

        Options:
          --ims-port <port>          IMS (identity) port. Default: a free port.
          --api-port <port>          API port. Default: a free port.
          --foreign-port <port>      "Foreign" host port (records what reaches it). Default: a free port.
          --app <id:secret[:scopes]> Register a service app at start-up; scopes comma-separated
                                     (default itwin-platform). Repeat for more apps.
          --token-lifetime <s>       Access token lifetime in seconds. Default: 3600.
          --itwins <n>               Number of seeded iTwins. Default: 250.
          --env <sh|pwsh|none>       Form of the ITWIN_* settings printed after the ready line:
                                     sh (export NAME=value, the default), pwsh ($env:NAME = 'value'), none.
          --stop-after <s>           Stop by itself after this many seconds. Default: run until stopped.
          --exit-on-stdin-close      Also stop when standard input closes (for a harness that owns stdin).
          --latency-ms <ms>          Hold every API request this long before answering. Default: 0.
          --rtt-ms <ms>              Add this round trip in front of every host (a delaying TCP relay,
                                     half each way; handshakes pay it too). Default: 0.
          --tls <ca.pem>             Serve over HTTPS with HTTP/1.1 and HTTP/2, with a certificate made at
                                     start; its CA is written to this path (trust it with SSL_CERT_FILE).
          --no-http2                 With --tls, offer HTTP/1.1 only.
          --proxy                    Also run a counting HTTP forward proxy on loopback (see GET
                                     <authority>/_emulator/network for its address).
          --proxy-port <port>        The forward proxy's port. Default: a free port.
          --proxy-credential <user:password>
                                     The forward proxy asks for these (407, Basic) before it forwards.
          --no-max-return            Do not cap /itwins listings at X-Max-Return (for huge benchmarks).
          --verbose                  Log every request (ASP.NET Core console logging).
          -h, --help                 Show this help and exit.

        Stops on SIGINT (Ctrl+C) or SIGTERM, after --stop-after, or on stdin close when asked; exit code 0.
        The first line of standard output is always:
          ITwinEmulator ready authority=<IMS url> api=<API url> foreign=<foreign url>
        Apps can also be registered at run time: POST <authority>/_emulator/apps {"clientId","clientSecret","scopes"}.
        """;

    public EmulatorOptions Options { get; } = new();
    public bool ShowHelp { get; private set; }
    public string EnvFormat { get; private set; } = "sh";
    public int? StopAfterSeconds { get; private set; }
    public bool ExitOnStdinClose { get; private set; }

    /// <summary>Parses the arguments; throws <see cref="FormatException"/> with a message for the user.</summary>
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var line = new CommandLine();
        var options = line.Options;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new FormatException($"{name} needs a value.");
            int NextInt(int min, int max)
            {
                var text = Next();
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
                    ? value
                    : throw new FormatException($"{name} needs a whole number from {min} to {max}, not '{text}'.");
            }
            switch (name)
            {
                case "-h": case "--help": case "-?": line.ShowHelp = true; break;
                case "--ims-port": options.ImsPort = NextInt(1, 65535); break;
                case "--api-port": options.ApiPort = NextInt(1, 65535); break;
                case "--foreign-port": options.ForeignPort = NextInt(1, 65535); break;
                case "--token-lifetime": options.TokenLifetimeSeconds = NextInt(1, int.MaxValue); break;
                case "--itwins": options.ITwinCount = NextInt(0, 10_000_000); break;
                case "--stop-after": line.StopAfterSeconds = NextInt(1, int.MaxValue); break;
                case "--exit-on-stdin-close": line.ExitOnStdinClose = true; break;
                case "--verbose": options.Quiet = false; break;
                case "--latency-ms": options.LatencyMs = NextInt(0, 600_000); break;
                case "--rtt-ms": options.RoundTripMs = NextInt(0, 600_000); break;
                case "--tls": options.TlsCertificatePath = Next(); break;
                case "--proxy": options.ForwardProxy = true; break;
                case "--no-http2": options.NoHttp2 = true; break;
                case "--proxy-port": options.ForwardProxy = true; options.ProxyPort = NextInt(1, 65535); break;
                case "--proxy-credential": options.ForwardProxy = true; options.ProxyCredential = Next(); break;
                case "--no-max-return": options.EnforceMaxReturn = false; break;
                case "--env":
                    line.EnvFormat = Next() switch
                    {
                        "sh" => "sh",
                        "pwsh" => "pwsh",
                        "none" => "none",
                        var other => throw new FormatException($"--env takes sh, pwsh or none, not '{other}'."),
                    };
                    break;
                case "--app":
                    options.SeedApps.Add(ParseApp(Next()));
                    break;
                default:
                    throw new FormatException($"Unknown argument '{name}'. Run itwin-emulator --help for the options.");
            }
        }
        return line;
    }

    private static AppRegistration ParseApp(string text)
    {
        var parts = text.Split(':', 3);
        if (parts[0].Length == 0 || parts.Length < 2 || parts[1].Length == 0)
            throw new FormatException($"--app needs id:secret[:scope,scope], not '{text}'.");
        var scopes = parts.Length > 2 ? parts[2].Split(new[] { ',', ' ' }, StringSplitOptions.RemoveEmptyEntries) : null;
        return new AppRegistration(parts[0], parts[1], scopes);
    }

    /// <summary>Copy-paste settings for ITwinAuth: the hosts, and the first --app's credentials.</summary>
    public IEnumerable<string> EnvironmentLines(Uri authority, Uri api)
    {
        if (EnvFormat == "none") yield break;
        var settings = new List<(string Name, string Value)>
        {
            ("ITWIN_AUTHORITY", authority.ToString().TrimEnd('/')),
            ("ITWIN_API_BASE_URI", api.ToString().TrimEnd('/')),
        };
        if (Options.SeedApps.FirstOrDefault() is { } app)
        {
            settings.Add(("ITWIN_CLIENT_ID", app.ClientId!));
            settings.Add(("ITWIN_CLIENT_SECRET", app.ClientSecret!));
            settings.Add(("ITWIN_SCOPE", string.Join(' ', app.Scopes ?? AppRegistry.DefaultScopes)));
        }
        foreach (var (settingName, value) in settings)
            yield return EnvFormat == "pwsh"
                ? $"$env:{settingName} = '{value.Replace("'", "''")}'"
                : $"export {settingName}='{value.Replace("'", "'\\''")}'";
        if (Options.SeedApps.Count == 0)
            yield return "# No app registered: pass --app id:secret[:scopes], then set ITWIN_CLIENT_ID and ITWIN_CLIENT_SECRET.";
    }
}
