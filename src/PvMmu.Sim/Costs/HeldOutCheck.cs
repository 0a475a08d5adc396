namespace PvMmu.Sim.Costs;

/// <summary>
/// One published figure the fit never saw, against the model: both in <paramref name="Unit"/>, the difference, and
/// whether it holds (<paramref name="Rule"/> says how it is judged).
/// </summary>
public sealed record HeldOutCheck(string Name, string Source, double Model, double Published, string Unit, string Rule, bool Pass)
{
    public double Difference => Model - Published;
}
