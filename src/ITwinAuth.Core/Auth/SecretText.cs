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

    /// <summary>HMAC-SHA256 of the secret's UTF-8 bytes under <paramref name="key"/>, as base64 (the
    /// in-memory cache's fingerprint of a secret, under a key of that cache's own).</summary>
    public static string Fingerprint(SecureString secret, byte[] key) =>
        WithUtf8(secret, bytes =>
        {
            using var hmac = new HMACSHA256(key);
            return Convert.ToBase64String(hmac.ComputeHash(bytes));
        });

    /// <summary>HMAC-SHA256 of <paramref name="message"/> keyed by the secret's UTF-8 bytes: a value every
    /// holder of the secret computes alike, and no one else can (the shared token's name).</summary>
    public static byte[] KeyedHash(SecureString secret, string message) =>
        WithUtf8(secret, bytes =>
        {
            using var hmac = new HMACSHA256(bytes);
            return hmac.ComputeHash(Encoding.UTF8.GetBytes(message));
        });

    /// <summary>Calls <paramref name="use"/> with the secret's UTF-8 bytes, in a buffer cleared after; no
    /// string of the secret is made.</summary>
    private static unsafe T WithUtf8<T>(SecureString secret, Func<byte[], T> use)
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
            return use(bytes);
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
