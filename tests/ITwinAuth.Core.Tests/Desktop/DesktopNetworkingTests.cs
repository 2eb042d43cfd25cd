using System.Net;
using System.Net.Http;
using System.Reflection;
using System.Runtime.Versioning;
using Xunit;

// ServicePointManager is obsolete on .NET, but it is what .NET Framework's HttpClientHandler reads.
#pragma warning disable SYSLIB0014

namespace ITwinAuth.Core.Tests.Desktop;

// ServicePointManager and the module's one HttpClient are process-wide: these run alone.
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessNetworkingCollection
{
    public const string Name = "Process-wide networking";
}

/// <summary>
/// The Windows PowerShell build's networking (compiled only into the netstandard2.0 core, so these
/// tests run only with build.ps1 -Task Test -Edition Desktop).
/// </summary>
[Collection(ProcessNetworkingCollection.Name)]
public sealed class DesktopNetworkingTests
{
    private const SecurityProtocolType Tls13 = (SecurityProtocolType)12288;

    [Fact]
    public void These_tests_run_against_the_netstandard2_0_core() =>
        Assert.Equal(".NETStandard,Version=v2.0", typeof(HttpPipeline).Assembly.GetCustomAttribute<TargetFrameworkAttribute>()?.FrameworkName);

    [Fact]
    public void TLS_1_2_and_1_3_are_added_to_what_the_process_allows_and_nothing_is_removed()
    {
        Assert.Equal(SecurityProtocolType.Tls | SecurityProtocolType.Tls12 | Tls13,
            DesktopNetworking.WithModernTls(SecurityProtocolType.Tls, tls13Known: true));
        Assert.Equal(SecurityProtocolType.Tls | SecurityProtocolType.Tls11 | SecurityProtocolType.Tls12,
            DesktopNetworking.WithModernTls(SecurityProtocolType.Tls | SecurityProtocolType.Tls11, tls13Known: false));
        Assert.Equal(SecurityProtocolType.Tls12 | Tls13, DesktopNetworking.WithModernTls(SecurityProtocolType.Tls12 | Tls13, tls13Known: true));
    }

    [Fact]
    public void The_system_default_is_left_to_the_operating_system() =>
        Assert.Equal(SecurityProtocolType.SystemDefault, DesktopNetworking.WithModernTls(SecurityProtocolType.SystemDefault, tls13Known: true));

    [Fact]
    public void Making_the_modules_client_adds_modern_TLS_to_a_process_on_old_protocols()
    {
        var before = ServicePointManager.SecurityProtocol;
        try
        {
            ServicePointManager.SecurityProtocol = SecurityProtocolType.Tls;
            HttpTransport.CreateHandler().Dispose();
            var now = ServicePointManager.SecurityProtocol;
            Assert.True(now.HasFlag(SecurityProtocolType.Tls12), $"{now}");
            Assert.True(now.HasFlag(Tls13), $"{now}");
            Assert.True(now.HasFlag(SecurityProtocolType.Tls), $"the user's choice was removed: {now}");
        }
        finally
        {
            ServicePointManager.SecurityProtocol = before;
        }
    }

    [Fact]
    public void Making_the_modules_client_leaves_a_process_on_the_system_default_alone()
    {
        var before = ServicePointManager.SecurityProtocol;
        try
        {
            ServicePointManager.SecurityProtocol = SecurityProtocolType.SystemDefault;
            HttpTransport.CreateHandler().Dispose();
            Assert.Equal(SecurityProtocolType.SystemDefault, ServicePointManager.SecurityProtocol);
        }
        finally
        {
            ServicePointManager.SecurityProtocol = before;
        }
    }

    [Theory]
    [InlineData(2, DesktopNetworking.ConnectionsPerServer)] // .NET Framework's default
    [InlineData(200, 200)] // someone already chose more: kept
    public void The_per_host_connection_limit_is_raised_never_lowered(int before, int after)
    {
        using var handler = new HttpClientHandler { MaxConnectionsPerServer = before };
        DesktopNetworking.ConfigureHandler(handler);
        Assert.Equal(after, handler.MaxConnectionsPerServer);
    }

    [Fact]
    public void The_modules_transport_raises_the_connection_limit_and_its_requests_send_no_Expect_100_continue()
    {
        using var handler = (HttpClientHandler)HttpTransport.CreateHandler();
        Assert.True(handler.MaxConnectionsPerServer >= DesktopNetworking.ConnectionsPerServer);
        var call = new HttpCall(HttpMethod.Post, new Uri("https://api.bentley.com/itwins")) { Content = () => new StringContent("{}") };
        using var request = RequestFactory.Build(call, Hop.First(call), token: null);
        Assert.False(request.Headers.ExpectContinue);
    }
}
