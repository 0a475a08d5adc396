using System.Reflection;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Strategies;

namespace PvMmu.Bench;

/// <summary>
/// What a strategy file costs before the model runs, in a fresh process each time (cold start, one call a launch),
/// as the command line pays it: <see cref="FirstCompile"/> compiles a text never seen (Roslyn loaded and jitted
/// included), <see cref="CachedLoad"/> finds the same text in the disk cache and loads the image instead. The text is
/// examples/strategies/unpin-if-large.cs.
/// </summary>
[Config(typeof(ColdStarts))]
public class StrategyFileBenchmarks
{
    /// <summary>Five fresh processes a benchmark, one call each; the generated project may take minutes to build on a busy machine.</summary>
    private sealed class ColdStarts : ManualConfig
    {
        public ColdStarts()
        {
            AddJob(Job.Default.WithStrategy(RunStrategy.ColdStart).WithLaunchCount(5).WithIterationCount(1));
            BuildTimeout = TimeSpan.FromMinutes(10);
        }
    }

    private string _source = null!;

    [GlobalSetup(Target = nameof(FirstCompile))]
    public void SetupFirst()
    {
        // A text no cache has: the template with a comment of its own.
        _source = File.ReadAllText(Template()) + $"// {Guid.NewGuid():N}\n";
    }

    [GlobalSetup(Target = nameof(CachedLoad))]
    public void SetupCached()
    {
        Environment.SetEnvironmentVariable("PVMMU_CACHE", Path.Combine(Path.GetTempPath(), "pvmmu-bench-cache"));
        _source = File.ReadAllText(Template());
        var key = StrategyCache.Key(_source);
        if (StrategyCache.TryRead(key) is null)
        {
            // The first launch fills the cache in its setup, so that every measured call finds it.
            var (image, symbols) = StrategyCompiler.Compile(_source, "unpin-if-large.cs", "bench");
            StrategyCache.TryWrite(key, image, symbols);
        }
    }

    [Benchmark]
    public int FirstCompile() => StrategyCompiler.Compile(_source, "unpin-if-large.cs", "bench").Image.Length;

    [Benchmark]
    public int CachedLoad()
    {
        var (image, symbols) = StrategyCache.TryRead(StrategyCache.Key(_source)) ?? throw new InvalidOperationException("the cache entry is missing");
        return Assembly.Load(image, symbols).GetTypes().Count(t => typeof(IExitStrategy).IsAssignableFrom(t));
    }

    private static string Template()
    {
        for (var dir = AppContext.BaseDirectory; dir != null; dir = Path.GetDirectoryName(dir))
        {
            var path = Path.Combine(dir, "examples", "strategies", "unpin-if-large.cs");
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new FileNotFoundException("examples/strategies/unpin-if-large.cs above " + AppContext.BaseDirectory);
    }
}
