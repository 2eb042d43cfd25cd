// The core's net472 build under Mono: the resolver's rules, the TLS, connection and Expect settings,
// and one real request through HttpClientHandler and System.Text.Json. tests/Mono/run.sh runs it.
using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Reflection;
using ITwinAuth.Core;
using ITwinAuth.Core.Loading;

static class Probe
{
    static int failures;
    static void Check(string what, bool ok) { Console.WriteLine((ok ? "PASS " : "FAIL ") + what); if (!ok) failures++; }

    static int Main(string[] args)
    {
        Console.WriteLine("runtime: " + Type.GetType("Mono.Runtime").GetMethod("GetDisplayName", BindingFlags.NonPublic | BindingFlags.Static).Invoke(null, null));
        // Resolver rules against a real folder.
        var module = Path.Combine(Path.GetTempPath(), "itwinauth-mono-" + Guid.NewGuid().ToString("N"));
        var deps = Directory.CreateDirectory(Path.Combine(module, "dependencies")).FullName;
        var shipped = Path.Combine(deps, "System.Buffers.dll");
        File.Copy(Path.Combine(AppDomain.CurrentDomain.BaseDirectory, "System.Buffers.dll"), shipped);
        var catalog = new DependencyCatalog(module, deps);
        var name = AssemblyName.GetAssemblyName(shipped);
        var older = new AssemblyName("System.Buffers") { Version = new Version(4, 0, 0, 0) };
        var newer = new AssemblyName("System.Buffers") { Version = new Version(99, 0, 0, 0) };
        Check("own assembly, older version -> shipped", catalog.Resolve(older, Path.Combine(module, "ITwinAuth.Core.dll")) == Path.GetFullPath(shipped));
        Check("shipped dependency, older version -> shipped", catalog.Resolve(older, shipped) == Path.GetFullPath(shipped));
        Check("null requester, older -> shipped", catalog.Resolve(older, (string)null) == Path.GetFullPath(shipped));
        Check("null requester, newer -> none", catalog.Resolve(newer, (string)null) == null);
        Check("foreign, older -> none", catalog.Resolve(older, "/elsewhere/Other.dll") == null);
        Check("foreign, exact -> shipped", catalog.Resolve(name, "/elsewhere/Other.dll") == Path.GetFullPath(shipped));
        var dynamic = AppDomain.CurrentDomain.DefineDynamicAssembly(new AssemblyName("Dyn"), System.Reflection.Emit.AssemblyBuilderAccess.Run);
        bool threw = false; string r = null;
        try { r = catalog.Resolve(older, dynamic); } catch (Exception e) { threw = true; Console.WriteLine(e); }
        Check("dynamic requester does not throw and is foreign", !threw && r == null);
        Directory.Delete(module, true);

        // TLS and connections.
        ServicePointManager.SecurityProtocol = SecurityProtocolType.Tls;
        HttpTransport.CreateHandler().Dispose();
        var post = new HttpCall(HttpMethod.Post, new Uri("https://api.example/x"));
        Console.WriteLine("SecurityProtocol after: " + ServicePointManager.SecurityProtocol);
        Check("TLS 1.2 added, TLS 1.0 kept", ServicePointManager.SecurityProtocol.HasFlag(SecurityProtocolType.Tls12) && ServicePointManager.SecurityProtocol.HasFlag(SecurityProtocolType.Tls));
        Check("Expect: 100-continue off", RequestFactory.Build(post, Hop.First(post), null).Headers.ExpectContinue == false);
        var handler = new HttpClientHandler();
        Console.WriteLine("Mono HttpClientHandler.MaxConnectionsPerServer default: " + SafeMax(handler));
        DesktopNetworking.ConfigureHandler(handler);
        Console.WriteLine("after ConfigureHandler: " + SafeMax(handler));

        // One real request through HttpClientHandler and System.Text.Json on this runtime.
        if (args.Length > 0)
        {
            var result = new ClientContext().Pipeline.SendAsync(new HttpCall(HttpMethod.Get, new Uri(new Uri(args[0]), "users/me")), NullLogSink.Instance, default).GetAwaiter().GetResult();
            var error = ApiErrors.FromResponse(result);
            Check("GET /users/me without a token is HeaderNotFound (" + error.ErrorId + ")", error.ErrorId == "HeaderNotFound");
        }
        Console.WriteLine(failures == 0 ? "probe: all passed" : "probe: " + failures + " failed");
        return failures;
    }

    static string SafeMax(HttpClientHandler h) { try { return h.MaxConnectionsPerServer.ToString(); } catch (Exception e) { return e.GetType().Name; } }
}
