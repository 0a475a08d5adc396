using PvMmu.Events;
using PvMmu.Sim.Costs;

namespace PvMmu.Sim.Tests.Costs;

/// <summary>Reading cost tables: what a file may say, what it inherits, and one clear error for each mistake.</summary>
public sealed class CostTableTests
{
    [Fact]
    public void APartialTableKeepsTheBuiltInPricesItLeavesOut()
    {
        var t = CostTable.Parse("name = \"fast-traps\"\n[prices_ns]\nptwr_trap = 250\nhypercall_entry = 100.5\n", "fast.toml", CostTable.Default.ToArray());
        Assert.Equal("fast-traps", t.Name);
        Assert.Equal(250, t[EventKind.PtwrEmulation]);
        Assert.Equal(100.5, t[EventKind.Hypercall]);
        Assert.Equal(CostTable.Default[EventKind.Cr3Load], t[EventKind.Cr3Load]);
    }

    [Fact]
    public void TheTomlItPrintsReadsBackToTheSamePrices()
    {
        var back = CostTable.Parse(CostTable.Default.ToToml(), "x.toml", null);
        foreach (var e in EventKinds.Priced)
        {
            Assert.Equal(CostTable.Default[e], back[e]);
        }
    }

    [Theory]
    [InlineData("[prices_ns]\nptwr_trap = \n", 2, "not valid TOML")]
    [InlineData("[prices_ns]\nptwr_trapp = 3\n", 2, "unknown price 'ptwr_trapp'")]
    [InlineData("[prices_ns]\nptwr_trap = -3\n", 2, "finite number of nanoseconds from 0 to 1000000000")]
    [InlineData("[prices_ns]\nptwr_trap = \"fast\"\n", 2, "finite number of nanoseconds from 0 to 1000000000")]
    [InlineData("name = 3\n", 1, "'name' must be a non-empty string")]
    [InlineData("colour = \"red\"\n", 1, "unknown key 'colour'")]
    [InlineData("\n\n[prices]\nptwr_trap = 3\n", 3, "unknown table 'prices'")]
    [InlineData("[prices_ns]\nptwr_trap = 3\nptwr_trap = 4\n", 3, "not valid TOML")]
    public void AMalformedTableIsOneErrorWithItsLine(string text, int line, string what)
    {
        var e = Assert.Throws<CostTableException>(() => CostTable.Parse(text, "bad.toml", CostTable.Default.ToArray()));
        Assert.Equal(line, e.Line);
        Assert.StartsWith($"bad.toml:{line}:", e.Message, StringComparison.Ordinal);
        Assert.Contains(what, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AFullTableMustNameEveryPrice()
    {
        var e = Assert.Throws<CostTableException>(() => CostTable.Parse("[prices_ns]\nptwr_trap = 3\n", "full.toml", null));
        Assert.Contains("missing prices: hypercall_entry", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingFileIsACostTableError()
    {
        var e = Assert.Throws<CostTableException>(() => CostTable.Load("/nonexistent/costs.toml"));
        Assert.StartsWith("/nonexistent/costs.toml:1:1: cannot read", e.Message, StringComparison.Ordinal);
    }
}
