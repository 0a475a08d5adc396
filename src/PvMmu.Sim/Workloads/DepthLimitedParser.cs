using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace PvMmu.Sim.Workloads;

/// <summary>
/// A YAML event stream that refuses nesting deeper than <paramref name="maxDepth"/>: YamlDotNet's representation
/// model builds nodes recursively, and a file of a hundred thousand '[' would overflow the stack (a crash, not an
/// error). A workload file needs six levels.
/// </summary>
internal sealed class DepthLimitedParser(IParser inner, string file, int maxDepth) : IParser
{
    private int _depth;

    public ParsingEvent? Current => inner.Current;

    public bool MoveNext()
    {
        if (!inner.MoveNext())
        {
            return false;
        }

        switch (inner.Current)
        {
            case MappingStart or SequenceStart when ++_depth > maxDepth:
                var at = inner.Current.Start;
                throw new ScenarioException(file, Math.Max(1, (int)at.Line), Math.Max(1, (int)at.Column),
                    $"nested more than {maxDepth} levels deep; a workload file needs far fewer");
            case MappingEnd or SequenceEnd:
                _depth--;
                break;
        }

        return true;
    }
}
