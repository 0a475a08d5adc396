using System.Text.Json;

namespace PvMmu.Cli.Tests.Commands;

/// <summary>
/// What <c>pvmmu check</c> says about the soundness of its own search: the fingerprint-collision estimate is the
/// birthday bound over the states it counted; symmetry is off unless asked for.
/// </summary>
public sealed class CheckEstimateTests
{
    [Fact]
    public void TheCollisionEstimateIsTheBirthdayBoundOverTheDistinctStates()
    {
        var (exit, o, _) = Pvmmu.Run("check", "--scenario", "lazy-exit", "--search", "exhaustive", "--threads", "1", "--json");
        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(o);
        var n = doc.RootElement.GetProperty("distinct_states").GetDouble();
        var bits = doc.RootElement.GetProperty("fingerprint_bits").GetInt32();
        Assert.Equal(64, bits);

        // Pairs of states, each pair colliding with probability 2^-64; far below 1, the probability is their sum.
        var pairs = n * (n - 1) / 2;
        var expected = pairs / Math.Pow(2, 64);
        Assert.Equal(expected, doc.RootElement.GetProperty("fingerprint_collision_probability").GetDouble(), expected * 1e-6);
    }

    [Fact]
    public void OffIsTheDefaultAndGivesTheExactModelsCounts()
    {
        var off = Pvmmu.Run("check", "--scenario", "lazy-exit", "--search", "exhaustive", "--threads", "1", "--symmetry", "off", "--json");
        var byDefault = Pvmmu.Run("check", "--scenario", "lazy-exit", "--search", "exhaustive", "--threads", "1", "--json");
        Assert.Equal(0, off.Exit);
        Assert.Equal(byDefault.Out, off.Out);
        using var doc = JsonDocument.Parse(off.Out);
        Assert.Equal("off", doc.RootElement.GetProperty("symmetry").GetString());
    }
}
