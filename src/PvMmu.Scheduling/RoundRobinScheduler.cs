namespace PvMmu.Scheduling;

/// <summary>Each vCPU in turn; a vCPU with a pending IPI takes it before its next step.</summary>
public sealed class RoundRobinScheduler : IScheduler
{
    private int _next;

    public int Choose(ReadOnlySpan<Move> enabled)
    {
        for (var round = 0; round < 64; round++)
        {
            var cpu = (_next + round) % 64;
            var step = -1;
            for (var i = 0; i < enabled.Length; i++)
            {
                if (enabled[i].Cpu != cpu)
                {
                    continue;
                }

                if (enabled[i].Kind == MoveKind.TakeIpi)
                {
                    _next = cpu + 1;
                    return i;
                }

                step = i;
            }

            if (step >= 0)
            {
                _next = cpu + 1;
                return step;
            }
        }

        return 0;
    }
}
