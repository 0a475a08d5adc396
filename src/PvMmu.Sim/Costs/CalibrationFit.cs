namespace PvMmu.Sim.Costs;

/// <summary>
/// What <see cref="Calibration.Fit"/> found: the fitted table, its in-sample rows, the leave-one-out residual of each
/// target (fitted on the other two, in percentage points) with the free prices that fit found, and each free price
/// with its interval.
/// </summary>
public sealed record CalibrationFit(CostTable Table, IReadOnlyList<CalibrationRow> Rows, IReadOnlyList<double> LeaveOneOutPoints, IReadOnlyList<IReadOnlyList<double>> LeaveOneOutPrices, IReadOnlyList<FreePrice> FreePrices);
