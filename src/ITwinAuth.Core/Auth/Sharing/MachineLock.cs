using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace ITwinAuth.Core;

/// <summary>
/// The lock that makes processes on one machine renew a shared token one at a time: an empty file
/// per shared entry (<c>&lt;name&gt;.lock</c>, no token, no secret) in a folder of the user's, held
/// open with no sharing. The operating system lets go of it when its process ends, however it ends,
/// so a lock cannot outlive a dead process; the file itself stays (it is never deleted, so two
/// processes can never each hold a different file of the same name). Waiting is bounded: a process
/// that cannot get the lock in time (or at all: a folder it cannot write) goes on without it, which
/// costs at most one more token request, never an error. The wait is on real time: it waits for
/// other processes, not for this one's clock.
/// The file holds one note, written by the holder that stored a token: when that token expires
/// (never the token). A later holder that cannot see the token yet learns from it that the store
/// has one (a store whose copy in this process is behind: SecretStore reads another process's
/// write seconds later), and waits for the store instead of asking the authority again.
/// </summary>
public sealed class MachineLock : IDisposable
{
    private readonly FileStream _file;

    private MachineLock(FileStream file) => _file = file;

    private bool _released;

    /// <summary>Lets the lock go (more than once is harmless); the note is then neither read nor written.</summary>
    public void Dispose()
    {
        _released = true;
        _file.Dispose();
    }

    private const string NoteHeader = "ITwinAuth shared token lock 1";

    /// <summary>On Unix, the folder is made the owner's alone (0700: the umask would let others list the entries'
    /// names and read the notes). Windows' per-user temp folder already is. A folder of another owner is left as
    /// it is (chmod fails), and is still used: its files hold no token and no secret.</summary>
    private static void OwnerOnly(string folder)
    {
        if (System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Windows)) return;
        try
        {
            _ = chmod(folder, 0x1C0);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int chmod(string path, uint mode);

    private static (MachineLock?, bool) Unusable(string path, string why, bool waited, ILogSink log)
    {
        log.Verbose($"The renewal lock {path} cannot be used ({why}): renewing without it.");
        return (null, waited);
    }

    /// <summary>The lock is another process's: a sharing or lock violation on Windows (32, 33), EWOULDBLOCK
    /// elsewhere (11 on Linux, 35 on macOS). Other failures are not waited out.</summary>
    private static bool IsHeldElsewhere(IOException ex) =>
        (ex.HResult & 0xFFFF) is 32 or 33 && (ex.HResult & unchecked((int)0xFFFF0000)) == unchecked((int)0x80070000) || ex.HResult is 11 or 35;

    /// <summary>When the token the last holder stored expires, and its lifetime; null when no note can be read.</summary>
    public (DateTimeOffset ExpiresOn, TimeSpan Lifetime)? ReadNote()
    {
        if (_released) return null;
        try
        {
            _file.Position = 0;
            var buffer = new byte[256];
            var length = _file.Read(buffer, 0, buffer.Length);
            var lines = System.Text.Encoding.ASCII.GetString(buffer, 0, length).Split('\n');
            if (lines.Length < 3 || lines[0] != NoteHeader) return null;
            if (!DateTimeOffset.TryParseExact(lines[1], "O", System.Globalization.CultureInfo.InvariantCulture,
                    System.Globalization.DateTimeStyles.AssumeUniversal, out var expiresOn)) return null;
            if (!long.TryParse(lines[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) ||
                seconds < 1 || seconds > TokenClient.MaximumExpiresIn) return null;
            return (expiresOn, TimeSpan.FromSeconds(seconds));
        }
        catch (Exception ex) when (ex is IOException or NotSupportedException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Forgets the note (the stored token was removed).</summary>
    public void ClearNote()
    {
        if (_released) return;
        try
        {
            _file.SetLength(0);
            _file.Flush(true);
        }
        catch (Exception ex) when (ex is IOException or NotSupportedException or UnauthorizedAccessException)
        {
            // Only a hint for the next holder.
        }
    }

    /// <summary>Notes that a token expiring at <paramref name="expiresOn"/> was stored (never the token).</summary>
    public void WriteNote(DateTimeOffset expiresOn, TimeSpan lifetime)
    {
        if (_released) return;
        try
        {
            var note = System.Text.Encoding.ASCII.GetBytes(
                $"{NoteHeader}\n{expiresOn.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture)}\n{(long)lifetime.TotalSeconds}\n");
            _file.SetLength(0);
            _file.Position = 0;
            _file.Write(note, 0, note.Length);
            _file.Flush(true);
        }
        catch (Exception ex) when (ex is IOException or NotSupportedException or UnauthorizedAccessException)
        {
            // Only a hint for the next holder: without it, that holder asks the authority.
        }
    }

    /// <summary>The folder of the user's where lock files are kept, one no other user can write: the
    /// per-user runtime folder ($XDG_RUNTIME_DIR) when there is one; else the temp folder on Windows
    /// and macOS, which is the user's own there; else (Linux, where /tmp is everyone's) the user's
    /// local data folder.</summary>
    public static string DefaultFolder()
    {
        var runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        if (!string.IsNullOrEmpty(runtime) && Path.IsPathRooted(runtime)) return Path.Combine(runtime!, "ITwinAuth");
        var linux = System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Linux);
        var data = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        if (linux && !string.IsNullOrEmpty(data)) return Path.Combine(data, "ITwinAuth", "locks");
        return Path.Combine(Path.GetTempPath(), "ITwinAuth");
    }

    /// <summary>Takes the lock of <paramref name="name"/> in <paramref name="folder"/>, waiting at most
    /// <paramref name="wait"/>. Held is null when it was not taken (the caller goes on without it);
    /// Waited says whether another process held it meanwhile (then it may have written a token).</summary>
    public static async Task<(MachineLock? Held, bool Waited)> AcquireAsync(string folder, string name, TimeSpan wait,
        ILogSink log, CancellationToken cancellationToken)
    {
        var path = Path.Combine(folder, name + ".lock");
        try
        {
            Directory.CreateDirectory(folder);
            OwnerOnly(folder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            // A file where the folder should be, a folder the user cannot write: no lock, and no wait for one.
            log.Verbose($"The renewal lock folder {folder} cannot be made ({ex.GetType().Name}): renewing without a lock.");
            return (null, false);
        }
        var watch = Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(10);
        var waited = false;
        while (true)
        {
            try
            {
                // A link would make the note overwrite whatever it points to: only a regular file of the folder's own is a lock.
                if (File.Exists(path) && (File.GetAttributes(path) & FileAttributes.ReparsePoint) != 0)
                    return Unusable(path, "it is a link", waited, log);
                var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
                if (!file.CanSeek)
                {
                    file.Dispose();
                    return Unusable(path, "it is not a regular file", waited, log);
                }
                if (waited) log.Verbose($"Took the renewal lock {path} after {watch.Elapsed.TotalSeconds:0.##} s.");
                return (new MachineLock(file), waited);
            }
            catch (IOException ex) when (IsHeldElsewhere(ex))
            {
                if (!waited) log.Verbose($"Another process is renewing this token (it holds {path}); waiting up to {wait.TotalSeconds:0.#} s for it.");
                waited = true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
            {
                // Anything else (a link loop, a socket, a folder the user cannot write) will not change by waiting.
                return Unusable(path, ex.GetType().Name, waited, log);
            }
            var left = wait - watch.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                log.Verbose($"The renewal lock {path} was not free within {wait.TotalSeconds:0.#} s: renewing without it.");
                return (null, true);
            }
            await Task.Delay(left < pause ? left : pause, cancellationToken).ConfigureAwait(false);
            if (pause < TimeSpan.FromMilliseconds(200)) pause = TimeSpan.FromTicks(pause.Ticks * 2);
        }
    }
}
