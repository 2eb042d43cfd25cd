#if !NET
using System;
using System.Net;
using System.Net.Http;

namespace ITwinAuth.Core;

/// <summary>
/// On Windows PowerShell 5.1 HttpClientHandler is .NET Framework's HttpWebRequest underneath, with
/// defaults that hurt a client of a modern HTTPS API: the protocols come from
/// ServicePointManager.SecurityProtocol (SSL 3 and TLS 1.0 in powershell.exe on older Windows, so
/// a TLS 1.2-only host fails the handshake), 2 connections per host, and Expect: 100-continue on
/// every body (an extra round trip). <see cref="HttpTransport"/> applies the first two when it makes
/// its handler; <see cref="RequestFactory"/> turns Expect off on every request.
/// </summary>
internal static class DesktopNetworking
{
    /// <summary>Enough for many runspaces at once; .NET Framework's default is 2.</summary>
    internal const int ConnectionsPerServer = 50;

    // Not in netstandard2.0's enum; .NET Framework 4.8 has it.
    private const SecurityProtocolType Tls13 = (SecurityProtocolType)12288;
    private const SecurityProtocolType SystemDefault = 0;

    /// <summary>
    /// Adds TLS 1.2 (and 1.3 where the runtime knows it) to the process's protocols, unless the
    /// process leaves the choice to the operating system. Never removes a protocol the user chose.
    /// </summary>
    public static void EnsureModernTls()
    {
        var current = ServicePointManager.SecurityProtocol;
        var modern = WithModernTls(current, Enum.IsDefined(typeof(SecurityProtocolType), Tls13));
        if (modern == current) return;
        try
        {
            ServicePointManager.SecurityProtocol = modern;
        }
        catch (NotSupportedException)
        {
            // a runtime that knows the name but refuses it on this system
            ServicePointManager.SecurityProtocol = WithModernTls(current, tls13Known: false);
        }
    }

    internal static SecurityProtocolType WithModernTls(SecurityProtocolType current, bool tls13Known)
    {
        if (current == SystemDefault) return current;
        var modern = current | SecurityProtocolType.Tls12;
        return tls13Known ? modern | Tls13 : modern;
    }

    /// <summary>Raises the per-host connection limit; never lowers one that is already higher.</summary>
    public static void ConfigureHandler(HttpClientHandler handler)
    {
        try
        {
            if (handler.MaxConnectionsPerServer < ConnectionsPerServer) handler.MaxConnectionsPerServer = ConnectionsPerServer;
        }
        catch (Exception ex) when (ex is NotSupportedException or NotImplementedException)
        {
            // a runtime whose handler has no such setting (Mono's): its own limit stands
        }
    }
}
#endif
