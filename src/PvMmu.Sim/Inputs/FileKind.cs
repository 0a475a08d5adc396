using System.Runtime.InteropServices;

namespace PvMmu.Sim.Inputs;

/// <summary>
/// What kind of file a path names, without opening it (opening a FIFO for reading blocks until a writer comes).
/// .NET exposes no file type beyond "directory", so this asks stat(2) through the runtime's own portable shim,
/// libSystem.Native's SystemNative_Stat, whose FileStatus layout and S_IF* values are the same on every Unix.
/// </summary>
internal static partial class FileKind
{
    private const int TypeMask = 0xF000;
    private const int Fifo = 0x1000;
    private const int CharDevice = 0x2000;
    private const int Directory = 0x4000;
    private const int BlockDevice = 0x6000;
    private const int Regular = 0x8000;
    private const int Socket = 0xC000;

    /// <summary>Null for a regular file or a path that does not exist (opening it then says so); else what it is.</summary>
    public static string? Of(string path)
    {
        if (System.IO.Directory.Exists(path))
        {
            return "a directory";
        }

        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        try
        {
            if (Stat(path, out var st) != 0)
            {
                return null;
            }

            return (st.Mode & TypeMask) switch
            {
                Regular => null,
                Fifo => "a FIFO",
                CharDevice => "a character device",
                BlockDevice => "a block device",
                Socket => "a socket",
                Directory => "a directory",
                _ => "not a plain file",
            };
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // A runtime without the shim: the size cap still stops an endless device, but a FIFO may block.
            return null;
        }
    }

    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_Stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, out FileStatus output);

    [StructLayout(LayoutKind.Sequential)]
    private struct FileStatus
    {
        public int Flags;
        public int Mode;
        public uint Uid;
        public uint Gid;
        public long Size;
        public long ATime;
        public long ATimeNsec;
        public long MTime;
        public long MTimeNsec;
        public long CTime;
        public long CTimeNsec;
        public long BirthTime;
        public long BirthTimeNsec;
        public long Dev;
        public long RDev;
        public long Ino;
        public uint UserFlags;
    }
}
