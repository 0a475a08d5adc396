using System.Runtime.InteropServices;
using PvMmu.Sim.Outputs;

namespace PvMmu.Cli;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM. The first one cancels <see cref="Token"/>, which a search watches (it then reports
/// what it covered and exits 130 or 143), shows the terminal's cursor again (the progress bar hides it) and deletes
/// the temporary files of writes under way; whatever has not finished a second later is ended with the same exit
/// code. A second signal ends the process at once. Outputs are renamed into place whole (<see cref="AtomicFile"/>),
/// so an ended run leaves each output as it was before, or whole.
/// </summary>
internal static class Signals
{
    /// <summary>How long a command has to stop on its own after the first signal.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(900);

    private const string ShowCursor = "\u001b[?25h";

    private static readonly CancellationTokenSource Source = new();
    private static readonly List<PosixSignalRegistration> Registrations = [];
    private static int _received;

    /// <summary>Cancelled at the first signal.</summary>
    public static CancellationToken Token => Source.Token;

    /// <summary>The exit code of the signal received (130 or 143), or null.</summary>
    public static int? Received => Volatile.Read(ref _received) is var r && r != 0 ? r : null;

    /// <summary>Takes over SIGINT and SIGTERM for the process (the tests' in-process runs leave them alone).</summary>
    public static void Install()
    {
        Registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Stop(c, ExitCodes.Interrupted)));
        Registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Stop(c, ExitCodes.Terminated)));
    }

    private static void Stop(PosixSignalContext context, int code)
    {
        context.Cancel = true;
        if (Interlocked.CompareExchange(ref _received, code, 0) != 0)
        {
            End(code);
            return;
        }

        RestoreTerminal();
        AtomicFile.DeletePending();
        Source.Cancel();
        new Thread(() =>
        {
            Thread.Sleep(Grace);
            End(code);
        })
        { IsBackground = true, Name = "pvmmu signal grace" }.Start();
    }

    private static void End(int code)
    {
        RestoreTerminal();
        AtomicFile.DeletePending();
        Console.Error.WriteLine($"pvmmu: stopped by {(code == ExitCodes.Terminated ? "SIGTERM" : "Ctrl-C")}");
        Console.Error.Flush();
        Environment.Exit(code);
    }

    private static void RestoreTerminal()
    {
        if (!Console.IsErrorRedirected)
        {
            Console.Error.Write(ShowCursor);
            Console.Error.Flush();
        }
    }
}
