using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using PvMmu.Linux.Exit;

namespace PvMmu.Sim.Strategies;

/// <summary>
/// Strategy files (<c>--strategy-file FILE.cs</c>): one class implementing <see cref="IExitStrategy"/>, compiled in
/// process (<see cref="StrategyCompiler"/>), cached by content (<see cref="StrategyCache"/>), and run as a
/// <see cref="FileStrategy"/>. Every way a file can be unusable is a <see cref="StrategyFileException"/> whose lines
/// each name the file.
/// </summary>
public static class StrategyFiles
{
    /// <summary>Each source text loaded once per process: tests and repeated runs reuse the assembly.</summary>
    private static readonly ConcurrentDictionary<string, Lazy<Assembly>> Loaded = new();

    /// <summary>Whether the last <see cref="Load"/> compiled (false: the process or the disk cache had it).</summary>
    [ThreadStatic]
    private static bool _compiled;

    public static bool LastCompiled => _compiled;

    /// <summary>The strategies of <paramref name="paths"/>, in order; their names must differ from the built-ins' and each other's.</summary>
    public static List<IExitStrategy> LoadAll(IEnumerable<string> paths)
    {
        var result = new List<IExitStrategy>();
        foreach (var path in paths)
        {
            var s = Load(path);
            if (result.FirstOrDefault(o => string.Equals(o.Name, s.Name, StringComparison.OrdinalIgnoreCase)) is FileStrategy other)
            {
                throw new StrategyFileException($"{path}: strategy {s.Name} is already defined by {other.File}");
            }

            result.Add(s);
        }

        return result;
    }

    /// <summary>The strategy in the file at <paramref name="path"/>, named in messages as given.</summary>
    public static FileStrategy Load(string path)
    {
        string source;
        try
        {
            source = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new StrategyFileException($"{path}: cannot read: {e.Message}");
        }

        var key = StrategyCache.Key(source);
        _compiled = false;
        var lazy = Loaded.GetOrAdd(key, k => new Lazy<Assembly>(() => Assemble(k, source, path)));
        Assembly assembly;
        try
        {
            assembly = lazy.Value;
        }
        catch (StrategyFileException)
        {
            // A file that did not compile is not kept: the next try compiles it again and says the same.
            Loaded.TryRemove(key, out _);
            throw;
        }

        var types = assembly.GetTypes()
            .Where(t => typeof(IExitStrategy).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .ToList();
        if (types.Count != 1)
        {
            throw new StrategyFileException(types.Count == 0
                ? $"{path}: no class implements IExitStrategy (pvmmu new strategy NAME writes one to start from)"
                : $"{path}: {types.Count} classes implement IExitStrategy ({string.Join(", ", types.Select(t => t.Name))}); a file holds one");
        }

        if (types[0].GetConstructor(Type.EmptyTypes) is null)
        {
            throw new StrategyFileException($"{path}: {types[0].Name} needs a public constructor without parameters");
        }

        IExitStrategy inner;
        try
        {
            inner = (IExitStrategy)Activator.CreateInstance(types[0])!;
        }
        catch (TargetInvocationException e) when (e.InnerException is { } x)
        {
            throw new StrategyFileException($"{path}: the constructor of {types[0].Name} threw {x.GetType().Name}: {x.Message}");
        }

        var strategy = new FileStrategy(inner, path);
        if (ExitStrategies.Find(strategy.Name) is { } builtIn)
        {
            throw new StrategyFileException($"{path}: the name {strategy.Name} is a built-in strategy's ({builtIn.Name}); give yours its own");
        }

        if (string.IsNullOrWhiteSpace(strategy.Name) || strategy.Name.Any(c => char.IsWhiteSpace(c) || c == ','))
        {
            throw new StrategyFileException($"{path}: the name '{strategy.Name}' is not usable: expected a name without spaces or commas");
        }

        return strategy;
    }

    private static Assembly Assemble(string key, string source, string path)
    {
        if (StrategyCache.TryRead(key) is not { } bytes)
        {
            bytes = StrategyCompiler.Compile(source, path, "strategy-" + key[..16]);
            _compiled = true;
            StrategyCache.TryWrite(key, bytes.Image, bytes.Symbols);
        }

        return Assembly.Load(bytes.Image, bytes.Symbols);
    }
}
