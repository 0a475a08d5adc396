using PvMmu.Events;

namespace PvMmu.Sim.Costs;

/// <summary>
/// One price the calibration fits, with its interval: the lowest and highest value (the other free price refitted
/// at each) for which every target's residual stays within the fitted residual plus that target's own noise
/// (<see cref="Calibration.NoisePoints"/>).
/// </summary>
public sealed record FreePrice(EventKind Event, double Ns, double LowNs, double HighNs);
