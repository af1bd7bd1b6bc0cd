namespace JobTracking.WebSample.Catalog;

/// <summary>A product of the sample's catalog, as the import creates it and the other jobs change it.</summary>
public sealed class Product
{
    public required string Sku { get; init; }

    public required string Name { get; set; }

    public string? Brand { get; set; }

    public string? Category { get; set; }

    public string? Description { get; set; }

    public decimal Price { get; set; }

    public int Stock { get; set; }

    /// <summary>Attributes set by rules (badge, restock, ...).</summary>
    public Dictionary<string, string> Attributes { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The completeness score (0 to 100) the project calculation computed last, if it ran.</summary>
    public int? Completeness { get; set; }
}
