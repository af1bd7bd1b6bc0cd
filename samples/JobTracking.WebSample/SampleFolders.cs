namespace JobTracking.WebSample;

/// <summary>Where the sample reads its shipped data (products.csv, rules.csv) and writes what its jobs produce.</summary>
/// <param name="DataFolder">The shipped data, beside the program.</param>
/// <param name="WorkFolder">The catalog (catalog.json) and the exports.</param>
public sealed record SampleFolders(string DataFolder, string WorkFolder)
{
    /// <summary>A file of the shipped data, by name; only names of files that exist there are accepted.</summary>
    public string? DataFile(string name) =>
        name.Length > 0 && name == Path.GetFileName(name) && File.Exists(Path.Combine(DataFolder, name)) ? Path.Combine(DataFolder, name) : null;
}
