// Language features the netstandard2.0 build (Windows PowerShell 5.1) needs the compiler attributes for.
#if !NET
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit { }
}
#endif
