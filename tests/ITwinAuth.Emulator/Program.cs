using System.Globalization;
using ITwinAuth.Emulator;

// Usage: ITwinAuth.Emulator [--ims-port N] [--api-port N] [--foreign-port N] [--token-lifetime S]
//                           [--itwins N] [--app clientId:secret[:scope,scope]] [--verbose]
var options = new EmulatorOptions();
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--ims-port": options.ImsPort = NextInt(); break;
        case "--api-port": options.ApiPort = NextInt(); break;
        case "--foreign-port": options.ForeignPort = NextInt(); break;
        case "--token-lifetime": options.TokenLifetimeSeconds = NextInt(); break;
        case "--itwins": options.ITwinCount = NextInt(); break;
        case "--verbose": options.Quiet = false; break;
        case "--app":
            var parts = Next().Split(':', 3);
            options.SeedApps.Add(new AppRegistration(parts[0], parts.Length > 1 ? parts[1] : null,
                parts.Length > 2 ? parts[2].Split(',', StringSplitOptions.RemoveEmptyEntries) : null));
            break;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'.");
            return 2;
    }
}

await using var host = await EmulatorHost.StartAsync(options);
// One line a harness can parse, printed only once every port is listening.
Console.WriteLine($"ITwinEmulator ready authority={host.Authority} api={host.ApiBaseUri} foreign={host.ForeignUri}");
Console.Out.Flush();

// Stop when asked (Ctrl+C/SIGTERM) or when the harness closes our standard input.
var stdinClosed = Task.Run(() => { while (Console.In.Read() >= 0) { } });
await Task.WhenAny(host.WaitForShutdownAsync(), stdinClosed);
return 0;
