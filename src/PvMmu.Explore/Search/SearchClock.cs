using System.Diagnostics;

namespace PvMmu.Explore.Search;

/// <summary>A search's time limit and its once-a-second progress report; reads no clock when it has neither.</summary>
internal sealed class SearchClock(TimeSpan? limit, Action<long, long, int, TimeSpan>? progress)
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private TimeSpan _nextReport = TimeSpan.FromSeconds(1);

    /// <summary>Reports progress if a second has passed since the last report; true once the limit has passed.</summary>
    public bool Expired(long states, long distinct, int deepest)
    {
        if (limit == null && progress == null)
        {
            return false;
        }

        var elapsed = _watch.Elapsed;
        if (elapsed >= _nextReport)
        {
            progress?.Invoke(states, distinct, deepest, elapsed);
            _nextReport = elapsed + TimeSpan.FromSeconds(1);
        }

        return elapsed >= limit;
    }
}
