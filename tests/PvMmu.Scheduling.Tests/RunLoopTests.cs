namespace PvMmu.Scheduling.Tests;

/// <summary>
/// The one run loop on a model of its own: N vCPUs each with a program of K steps and nothing else, so what a run
/// must do follows from N and K (every run takes N·K moves; round robin takes them v0, v1, ..., v0, ...).
/// </summary>
public sealed class RunLoopTests
{
    private sealed class Counters(int vcpus, int steps) : ISchedulable
    {
        private readonly int[] _left = Enumerable.Repeat(steps, vcpus).ToArray();
        private readonly Move[] _enabled = new Move[vcpus];

        public List<Move> Taken { get; } = [];

        public bool Done => _left.All(l => l == 0);

        public ReadOnlySpan<Move> Enabled()
        {
            var n = 0;
            for (var c = 0; c < _left.Length; c++)
            {
                if (_left[c] > 0)
                {
                    _enabled[n++] = new Move(c, MoveKind.Step);
                }
            }

            return _enabled.AsSpan(0, n);
        }

        public void Apply(Move move)
        {
            Assert.True(_left[move.Cpu] > 0, $"{move} is not enabled");
            _left[move.Cpu]--;
            Taken.Add(move);
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 4)]
    [InlineData(5, 2)]
    public void EveryStrategyRunsEveryProgramToItsEnd(int vcpus, int steps)
    {
        foreach (var strategy in new ISchedulingStrategy[] { new RoundRobinScheduler(), new SeededRandomScheduler(11), new FirstEnabledScheduler() })
        {
            var m = new Counters(vcpus, steps);
            Assert.Equal(RunEnd.Done, RunLoop.Run(m, strategy, null, out var moves));
            Assert.Equal(vcpus * steps, moves);
            for (var c = 0; c < vcpus; c++)
            {
                Assert.Equal(steps, m.Taken.Count(t => t.Cpu == c));
            }
        }
    }

    [Fact]
    public void ASeededRunReplaysMoveForMove()
    {
        var first = new Counters(4, 5);
        RunLoop.Run(first, new SeededRandomScheduler(42));
        var again = new Counters(4, 5);
        var replay = new ReplayStrategy(first.Taken);
        Assert.Equal(RunEnd.Done, RunLoop.Run(again, replay));
        Assert.Equal(first.Taken, again.Taken);
        Assert.Equal(-1, replay.NotPossibleAt);
    }

    [Fact]
    public void AReplayStopsAtTheFirstMoveThatIsNotEnabled()
    {
        var m = new Counters(2, 1);
        var replay = new ReplayStrategy([new Move(0, MoveKind.Step), new Move(0, MoveKind.Step), new Move(1, MoveKind.Step)]);
        Assert.Equal(RunEnd.Stopped, RunLoop.Run(m, replay));
        Assert.Equal(1, replay.NotPossibleAt);
        Assert.Single(m.Taken);
    }

    [Fact]
    public void TheMoveCapEndsARunWithMovesLeft()
    {
        var m = new Counters(2, 10);
        Assert.Equal(RunEnd.MoveCap, RunLoop.Run(m, new RoundRobinScheduler(), null, out var moves, maxMoves: 7));
        Assert.Equal(7, moves);
    }
}
