using System.Text.Json;

namespace PvMmu.Cli.Tests.Commands;

/// <summary>
/// <c>pvmmu check</c> claims a proof (exit 0, <c>"complete": true</c>) only when every schedule to the bound was
/// explored; a search a cap cut, or a sampling search, exits 3 and says why. The caps are set from a full search
/// run in the test, on both sides of the point where they start to cut.
/// </summary>
public sealed class CheckCompletenessTests
{
    // exit-vs-switch on 3 vCPUs: a few hundred states, all explored in well under a second.
    private static readonly string[] Exhaustive = ["check", "--scenario", "exit-vs-switch", "--vcpus", "3", "--search", "exhaustive", "--threads", "1", "--json"];

    private static (int Exit, JsonElement Json, string Out) Check(params string[] args)
    {
        var o = new StringWriter();
        var exit = Program.Run(args, o, new StringWriter());
        using var doc = JsonDocument.Parse(o.ToString());
        return (exit, doc.RootElement.Clone(), o.ToString());
    }

    private static (int Exit, string Out) Text(params string[] args)
    {
        var o = new StringWriter();
        var exit = Program.Run(args, o, new StringWriter());
        return (exit, o.ToString());
    }

    private static string Because(JsonElement json) =>
        json.GetProperty("incomplete_because").ValueKind == JsonValueKind.Null ? "(complete)" : json.GetProperty("incomplete_because").GetString()!;

    [Trait("Category", "Slow")]
    [Fact]
    public void AStateCapBelowTheFullSearchExitsThreeAndOneAtItsSizeExitsZero()
    {
        var full = Check(Exhaustive);
        Assert.Equal(ExitCodes.Ok, full.Exit);
        Assert.True(full.Json.GetProperty("complete").GetBoolean());
        var states = full.Json.GetProperty("states").GetInt64();
        Assert.True(states > 100, $"the full search visits {states} states; the test needs more than 100");

        var capped = Check([.. Exhaustive, "--max-states", "100"]);
        Assert.Equal(ExitCodes.Incomplete, capped.Exit);
        Assert.False(capped.Json.GetProperty("complete").GetBoolean());
        Assert.Equal("max-states", Because(capped.Json));
        Assert.Equal(100, capped.Json.GetProperty("states").GetInt64());
        Assert.True(capped.Json.GetProperty("states_exact").GetBoolean());

        // The cap stops the visit after the last one allowed: a cap of exactly the full search's size cuts nothing.
        var s = states.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var atSize = Check([.. Exhaustive, "--max-states", s]);
        Assert.Equal(ExitCodes.Ok, atSize.Exit);
        Assert.Equal("(complete)", Because(atSize.Json));
        var oneShort = Check([.. Exhaustive, "--max-states", (states - 1).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.Equal(ExitCodes.Incomplete, oneShort.Exit);
        Assert.Equal("max-states", Because(oneShort.Json));

        // The text says which cap stopped the search, how far it got, and that it is no proof.
        var (exit, text) = Text("check", "--scenario", "exit-vs-switch", "--vcpus", "3", "--search", "exhaustive", "--threads", "1", "--max-states", "100");
        Assert.Equal(ExitCodes.Incomplete, exit);
        var line = text.Split('\n').Single(l => l.StartsWith("search incomplete: ", StringComparison.Ordinal));
        Assert.StartsWith("search incomplete: stopped at the state cap of 100 states (--max-states); no violation in the 100 states visited (100 states, ", line, StringComparison.Ordinal);
        Assert.EndsWith("; this is not a proof", line, StringComparison.Ordinal);
    }

    /// <summary>The default search (the portfolio) cut by the cap: exit 3 too, and the same JSON on every run.</summary>
    [Trait("Category", "Slow")]
    [Fact]
    public void APortfolioCutByTheStateCapExitsThree()
    {
        string[] args = ["check", "--scenario", "exit-vs-switch", "--vcpus", "3", "--max-states", "100", "--json"];
        var capped = Check(args);
        Assert.Equal(ExitCodes.Incomplete, capped.Exit);
        Assert.Equal("exhaustive", capped.Json.GetProperty("answer_from").GetString());
        Assert.False(capped.Json.GetProperty("complete").GetBoolean());
        Assert.Equal("max-states", Because(capped.Json));
        Assert.Equal(100, capped.Json.GetProperty("states").GetInt64());
        Assert.Equal(capped.Out, Check(args).Out);

        var uncapped = Check("check", "--scenario", "exit-vs-switch", "--vcpus", "3", "--json");
        Assert.Equal(ExitCodes.Ok, uncapped.Exit);
        Assert.True(uncapped.Json.GetProperty("complete").GetBoolean());
    }

    /// <summary>The depth bound is a cap too: one move short of the deepest schedule cuts it; the deepest does not.</summary>
    [Trait("Category", "Slow")]
    [Fact]
    public void ADepthBoundBelowTheDeepestScheduleExitsThree()
    {
        var full = Check(Exhaustive);
        var deepest = full.Json.GetProperty("deepest").GetInt32();
        Assert.True(deepest > 1);

        var enough = Check([.. Exhaustive, "--bound", deepest.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.Equal(ExitCodes.Ok, enough.Exit);
        Assert.Equal("(complete)", Because(enough.Json));

        var k = (deepest - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var cut = Check([.. Exhaustive, "--bound", k]);
        Assert.Equal(ExitCodes.Incomplete, cut.Exit);
        Assert.Equal("depth", Because(cut.Json));
        Assert.False(cut.Json.GetProperty("exhausted").GetBoolean());

        var (exit, text) = Text("check", "--scenario", "exit-vs-switch", "--vcpus", "3", "--search", "exhaustive", "--threads", "1", "--bound", k);
        Assert.Equal(ExitCodes.Incomplete, exit);
        Assert.Contains($"search incomplete: the depth bound of {k} moves (--bound) cut some schedules; no violation in every schedule up to {k} moves (", text, StringComparison.Ordinal);
    }

    /// <summary>A sampling search proves nothing however many schedules it draws; the portfolio's exhaustive part does.</summary>
    [Theory]
    [InlineData("random")]
    [InlineData("pct")]
    public void ASamplingSearchThatFindsNothingExitsThree(string search)
    {
        var sampled = Check("check", "--scenario", "exit-vs-switch", "--vcpus", "3", "--search", search, "--schedules", "200", "--json");
        Assert.Equal(ExitCodes.Incomplete, sampled.Exit);
        Assert.Equal("sampling", Because(sampled.Json));
        Assert.Equal(200, sampled.Json.GetProperty("schedules").GetInt64());
        Assert.True(sampled.Json.GetProperty("states").GetInt64() > 0);
    }

    /// <summary>A search --time stops is incomplete, whatever it covered; its states are counted, never null.</summary>
    [Fact]
    public void ATimeLimitThatStopsTheSearchExitsThree()
    {
        // 8 vCPUs: millions of states, far more than 100 ms visits.
        var timed = Check("check", "--scenario", "exit-vs-switch", "--vcpus", "8", "--strategy", "Linux413", "--search", "exhaustive", "--threads", "2", "--time", "100ms", "--json");
        Assert.Equal(ExitCodes.Incomplete, timed.Exit);
        Assert.Equal("time", Because(timed.Json));
        Assert.True(timed.Json.GetProperty("timed_out").GetBoolean());
        Assert.Equal(JsonValueKind.Number, timed.Json.GetProperty("states").ValueKind);
    }
}
