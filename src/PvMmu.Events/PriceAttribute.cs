namespace PvMmu.Events;

/// <summary>
/// Marks an event the cost model prices, with the key of its price in a cost table (<c>[prices_ns]</c> of
/// default.toml). The number itself lives in the table, so that counts never depend on prices.
/// </summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class PriceAttribute(string key) : Attribute
{
    public string Key { get; } = key;
}
