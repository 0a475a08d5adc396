using PvMmu.Events;

namespace PvMmu.Sim.Costs;

/// <summary>
/// The range a price may take (a free price's interval from <c>pvmmu calibrate</c>: where the fit's residuals stay within
/// the targets' noise), in ns. Modeled times are priced at both ends to give their band (<see cref="PriceBand"/>).
/// </summary>
public sealed record PriceInterval(EventKind Event, double LowNs, double HighNs);
