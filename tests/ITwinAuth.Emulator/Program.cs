using ITwinAuth.Emulator;

// itwin-emulator: see CommandLine.Usage (itwin-emulator --help).
CommandLine line;
try
{
    line = CommandLine.Parse(args);
}
catch (FormatException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
if (line.ShowHelp)
{
    Console.WriteLine(CommandLine.Usage);
    return 0;
}

await using var host = await EmulatorHost.StartAsync(line.Options);
// The first line is for harnesses to parse, printed only once every port is listening; then the
// settings a person copies into a shell.
Console.WriteLine($"ITwinEmulator ready authority={host.Authority} api={host.ApiBaseUri} foreign={host.ForeignUri}");
foreach (var setting in line.EnvironmentLines(host.Authority, host.ApiBaseUri)) Console.WriteLine(setting);
Console.Out.Flush();

// Stop on SIGINT/SIGTERM (the host's console lifetime), after --stop-after, or when a harness closes
// our standard input and asked for that. Otherwise stdin is never touched: a background job reading
// its terminal would be stopped by the shell (SIGTTIN), and a closed stdin is normal for a daemon.
var stops = new List<Task> { host.WaitForShutdownAsync() };
if (line.StopAfterSeconds is { } seconds) stops.Add(Task.Delay(TimeSpan.FromSeconds(seconds)));
if (line.ExitOnStdinClose) stops.Add(Task.Run(() => { while (Console.In.Read() >= 0) { } }));
await Task.WhenAny(stops);
return 0;
