using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Xunit;

namespace ITwinAuth.Emulator.Tests;

/// <summary>The package output/ITwinAuth.Emulator.&lt;version&gt;.nupkg (build.ps1 -Task Package), installed
/// offline with dotnet tool install into a folder of its own, once for the class.</summary>
public sealed class InstalledTool : IDisposable
{
    public InstalledTool()
    {
        Version = typeof(CommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
        // build.ps1 -Task Check says where the package is; else the repository's output/ folder.
        var folder = Environment.GetEnvironmentVariable("ITWINAUTH_PACKAGES") ?? Path.Combine(RepositoryRoot(), "output");
        Package = Path.Combine(folder, $"ITwinAuth.Emulator.{Version}.nupkg");
        Root = Path.Combine(Path.GetTempPath(), $"itwinauth-tool-{Environment.ProcessId}");
        Directory.CreateDirectory(Root);
        var config = Path.Combine(Root, "nuget.config");
        File.WriteAllText(config, $"<configuration><packageSources><clear /><add key=\"build\" value=\"{folder}\" /></packageSources></configuration>");
        Command = Path.Combine(Root, "bin", OperatingSystem.IsWindows() ? "itwin-emulator.exe" : "itwin-emulator");
        if (!File.Exists(Package)) { InstallOutput = $"{Package} does not exist: run build.ps1 -Task Package (or -Task Check) first."; InstallExitCode = -1; return; }
        using var install = Start("dotnet", "tool", "install", "--tool-path", Path.Combine(Root, "bin"), "--configfile", config, "ITwinAuth.Emulator", "--version", Version);
        InstallOutput = install.StandardOutput.ReadToEnd() + install.StandardError.ReadToEnd();
        if (!install.WaitForExit(180_000)) install.Kill(true);
        InstallExitCode = install.ExitCode;
    }

    public string Version { get; }
    public string Package { get; }
    public string Root { get; }
    public string Command { get; }
    public string InstallOutput { get; }
    public int InstallExitCode { get; }

    /// <summary>Starts the installed tool with its standard input closed at once, as a background job
    /// or a CI step has it.</summary>
    public Process Run(params string[] arguments)
    {
        Assert.True(InstallExitCode == 0, InstallOutput);
        return Start(Command, arguments);
    }

    public static Process Start(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        var process = Process.Start(info)!;
        process.StandardInput.Close();
        return process;
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "ITwinAuth.sln"))) return folder.FullName;
        throw new InvalidOperationException("The repository root (ITwinAuth.sln) was not found above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>The itwin-emulator .NET tool as users install and run it.</summary>
public sealed class ToolTests(InstalledTool tool) : IClassFixture<InstalledTool>
{
    private static string ReadLine(Process process)
    {
        var read = process.StandardOutput.ReadLineAsync();
        if (!read.Wait(TimeSpan.FromSeconds(60))) { process.Kill(true); Assert.Fail("itwin-emulator printed nothing within 60 s."); }
        return read.Result ?? "";
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public void Is_packed_and_installs_offline_with_dotnet_tool_install()
    {
        Assert.True(File.Exists(tool.Package), tool.Package);
        Assert.True(tool.InstallExitCode == 0, tool.InstallOutput);
        Assert.True(File.Exists(tool.Command), tool.Command);
    }

    [Fact]
    public void Help_lists_every_option_and_exits_0()
    {
        using var process = tool.Run("--help");
        var text = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(30_000));
        Assert.Equal(0, process.ExitCode);
        foreach (var option in new[] { "--ims-port", "--api-port", "--foreign-port", "--app", "--token-lifetime", "--itwins", "--env", "--stop-after", "--exit-on-stdin-close", "--verbose", "--help" })
            Assert.Contains(option, text);
    }

    [Fact]
    public void Refuses_an_unknown_option_with_exit_code_2_and_a_pointer_to_help()
    {
        using var process = tool.Run("--no-such-option");
        var error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(30_000));
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("--help", error);
    }

    [Fact]
    public async Task Listens_on_the_ports_asked_for_prints_the_ready_line_then_the_settings_and_serves_with_stdin_closed_until_SIGTERM()
    {
        int ims = FreePort(), api = FreePort(), foreign = FreePort();
        using var process = tool.Run("--ims-port", $"{ims}", "--api-port", $"{api}", "--foreign-port", $"{foreign}", "--app", "ci-app:ci-secret:itwin-platform", "--stop-after", "120");
        try
        {
            Assert.Equal($"ITwinEmulator ready authority=http://127.0.0.1:{ims}/ api=http://127.0.0.1:{api}/ foreign=http://127.0.0.1:{foreign}/", ReadLine(process));
            Assert.Equal(new[]
            {
                $"export ITWIN_AUTHORITY='http://127.0.0.1:{ims}'", $"export ITWIN_API_BASE_URI='http://127.0.0.1:{api}'",
                "export ITWIN_CLIENT_ID='ci-app'", "export ITWIN_CLIENT_SECRET='ci-secret'", "export ITWIN_SCOPE='itwin-platform'",
            }, Enumerable.Range(0, 5).Select(_ => ReadLine(process)).ToArray());
            // stdin is closed: it must still be serving, and the seeded app signs in.
            using var http = new HttpClient();
            var token = await Api.TokenAsync(http, new Uri($"http://127.0.0.1:{ims}/"), "ci-app", "ci-secret", "itwin-platform");
            using var me = await Api.GetAsync(http, new Uri($"http://127.0.0.1:{api}/"), token, "users/me");
            Assert.Equal("ci-app@apps.imsoidc.bentley.com", (await Api.JsonAsync(me)).GetProperty("user").GetProperty("email").GetString());
            Assert.False(process.HasExited);
            if (OperatingSystem.IsWindows()) return; // no SIGTERM there; the finally block ends it
            using (var kill = InstalledTool.Start("kill", "-s", "TERM", $"{process.Id}")) kill.WaitForExit();
            Assert.True(process.WaitForExit(15_000));
            Assert.Equal(0, process.ExitCode);
        }
        finally { if (!process.HasExited) process.Kill(true); }
    }

    [Fact]
    public void Prints_the_settings_in_PowerShell_form_with_env_pwsh()
    {
        using var process = tool.Run("--env", "pwsh", "--stop-after", "60");
        try
        {
            Assert.Matches(@"^ITwinEmulator ready authority=http://127\.0\.0\.1:\d+/ ", ReadLine(process));
            Assert.Matches(@"^\$env:ITWIN_AUTHORITY = 'http://127\.0\.0\.1:\d+'$", ReadLine(process));
        }
        finally { process.Kill(true); process.WaitForExit(); }
    }

    [Fact]
    public void Stops_by_itself_after_stop_after()
    {
        using var process = tool.Run("--stop-after", "1");
        Assert.StartsWith("ITwinEmulator ready ", ReadLine(process));
        Assert.True(process.WaitForExit(20_000));
        Assert.Equal(0, process.ExitCode);
    }
}
