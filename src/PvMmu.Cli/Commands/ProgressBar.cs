using Spectre.Console;

namespace PvMmu.Cli.Commands;

/// <summary>
/// A Spectre.Console progress bar on the terminal's stderr for work of known size; nothing when stderr is not the
/// terminal (a pipe, a file, a test's writer), so stdout and every captured output stay byte-identical.
/// </summary>
public static class ProgressBar
{
    public static T Run<T>(TextWriter stderr, string what, int total, Func<Action<int>, T> work)
    {
        if (!ReferenceEquals(stderr, Console.Error) || Console.IsErrorRedirected || total <= 1)
        {
            return work(_ => { });
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(what, maxValue: total);
                result = work(done => task.Value = done);
            });
        return result;
    }
}
