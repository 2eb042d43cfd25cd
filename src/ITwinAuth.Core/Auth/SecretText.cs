using System;
using System.Runtime.InteropServices;
using System.Security;
using System.Security.Cryptography;
using System.Text;

namespace ITwinAuth.Core;

/// <summary>
/// The only place a SecureString becomes readable. As a string only for the instant a request needs
/// it (<see cref="Use{T}"/>: the secret form, the Authorization header); a check or a fingerprint
/// reads the characters in place, in an unmanaged copy that is zeroed after.
/// </summary>
public static class SecretText
{
    /// <summary>Calls <paramref name="use"/> with the secret as a string; the unmanaged copy is zeroed after.</summary>
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

    /// <summary>True when the secret is empty or only white space; no string is made.</summary>
    public static unsafe bool IsBlank(SecureString secret)
    {
        if (secret.Length == 0) return true;
        var pointer = IntPtr.Zero;
        try
        {
            pointer = Marshal.SecureStringToGlobalAllocUnicode(secret);
            var chars = (char*)pointer;
            for (var i = 0; i < secret.Length; i++)
                if (!char.IsWhiteSpace(chars[i])) return false;
            return true;
        }
        finally
        {
            if (pointer != IntPtr.Zero) Marshal.ZeroFreeGlobalAllocUnicode(pointer);
        }
    }

    /// <summary>HMAC-SHA256 of the secret's UTF-8 bytes under <paramref name="key"/>, as base64; the
    /// bytes live only in a buffer that is cleared after, and no string of the secret is made.</summary>
    public static unsafe string Fingerprint(SecureString secret, byte[] key)
    {
        var pointer = IntPtr.Zero;
        byte[]? bytes = null;
        try
        {
            pointer = Marshal.SecureStringToGlobalAllocUnicode(secret);
            var chars = (char*)pointer;
            bytes = new byte[Encoding.UTF8.GetByteCount(chars, secret.Length)];
            fixed (byte* target = bytes)
                Encoding.UTF8.GetBytes(chars, secret.Length, target, bytes.Length);
            using var hmac = new HMACSHA256(key);
            return Convert.ToBase64String(hmac.ComputeHash(bytes));
        }
        finally
        {
            if (bytes is not null) Array.Clear(bytes, 0, bytes.Length);
            if (pointer != IntPtr.Zero) Marshal.ZeroFreeGlobalAllocUnicode(pointer);
        }
    }

    public static unsafe SecureString ToSecureString(string value)
    {
        fixed (char* characters = value)
            return new SecureString(characters, value.Length);
    }
}
