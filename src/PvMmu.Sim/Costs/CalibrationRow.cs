namespace PvMmu.Sim.Costs;

/// <summary>The model against one calibration target, under one cost table.</summary>
public sealed record CalibrationRow(CalibrationTarget Target, double ModelBeforeMicros, double ModelAfterMicros)
{
    public double ModelDeltaPercent => 100 * (ModelAfterMicros - ModelBeforeMicros) / ModelBeforeMicros;

    /// <summary>Model delta minus the commit's, in percentage points.</summary>
    public double ResidualPoints => ModelDeltaPercent - Target.DeltaPercent;
}
