using System;
using System.Runtime.InteropServices;
using System.Security;

namespace ITwinAuth.Core;

/// <summary>The only place a SecureString becomes readable, for the instant it is needed.</summary>
public static class SecretText
{
    /// <summary>Calls <paramref name="use"/> with the secret's characters; the unmanaged copy is zeroed after.</summary>
    public static T Use<T>(SecureString secret, Func<string, T> use)
    {
        var pointer = IntPtr.Zero;
        try
        {
            pointer = Marshal.SecureStringToGlobalAllocUnicode(secret);
            return use(Marshal.PtrToStringUni(pointer, secret.Length));
        }
        finally
        {
            if (pointer != IntPtr.Zero) Marshal.ZeroFreeGlobalAllocUnicode(pointer);
        }
    }

    public static bool IsWhiteSpace(SecureString secret) => Use(secret, string.IsNullOrWhiteSpace);

    public static unsafe SecureString ToSecureString(string value)
    {
        fixed (char* characters = value)
            return new SecureString(characters, value.Length);
    }
}
