using System.Text.Json;

namespace JobTracking.WebSample.Catalog;

/// <summary>
/// The sample's product catalog: a JSON file in the work folder, so that an import's products are there for the
/// export, the mass edit, the rules and the completeness calculation, also after a restart.
/// </summary>
public sealed class ProductCatalog
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly Lock _lock = new();
    private readonly string _file;
    private readonly Dictionary<string, Product> _products;

    public ProductCatalog(string file)
    {
        _file = file;
        _products = File.Exists(file)
            ? (JsonSerializer.Deserialize<List<Product>>(File.ReadAllText(file), Json) ?? []).ToDictionary(p => p.Sku, StringComparer.Ordinal)
            : new Dictionary<string, Product>(StringComparer.Ordinal);
    }

    /// <summary>A copy of every product, ordered by SKU.</summary>
    public IReadOnlyList<Product> Snapshot()
    {
        lock (_lock)
        {
            return [.. _products.Values.OrderBy(p => p.Sku, StringComparer.Ordinal).Select(Copy)];
        }
    }

    /// <summary>Adds a product or replaces the one with the same SKU, and saves the catalog.</summary>
    public void Upsert(Product product)
    {
        lock (_lock)
        {
            _products[product.Sku] = Copy(product);
            Save();
        }
    }

    /// <summary>Changes one product and saves the catalog; false when there is no such product.</summary>
    public bool Update(string sku, Action<Product> change)
    {
        lock (_lock)
        {
            if (!_products.TryGetValue(sku, out var product))
            {
                return false;
            }

            change(product);
            Save();
            return true;
        }
    }

    private void Save()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_file))!);
        var temporary = _file + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(_products.Values.OrderBy(p => p.Sku, StringComparer.Ordinal), Json));
        File.Move(temporary, _file, overwrite: true);
    }

    private static Product Copy(Product p) => new()
    {
        Sku = p.Sku, Name = p.Name, Brand = p.Brand, Category = p.Category, Description = p.Description, Price = p.Price, Stock = p.Stock,
        Attributes = new Dictionary<string, string>(p.Attributes, StringComparer.Ordinal), Completeness = p.Completeness,
    };
}
