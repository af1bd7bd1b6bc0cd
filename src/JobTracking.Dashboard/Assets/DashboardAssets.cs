using System.Security.Cryptography;

namespace JobTracking.Dashboard.Assets;

/// <summary>The stylesheet and the script, embedded in the assembly, each served under a name that carries a hash of its content so browsers may keep it for good.</summary>
internal sealed class DashboardAssets
{
    private DashboardAssets(string name, string contentType)
    {
        using var stream = typeof(DashboardAssets).Assembly.GetManifestResourceStream("JobTracking.Dashboard.Assets." + name)
            ?? throw new InvalidOperationException($"The dashboard asset '{name}' is missing from the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        Content = copy.ToArray();
        ContentType = contentType;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Content))[..12];
        VersionedName = $"{Path.GetFileNameWithoutExtension(name)}.{hash}{Path.GetExtension(name)}";
        ETag = $"\"{hash}\"";
    }

    public static DashboardAssets Css { get; } = new("dashboard.css", "text/css; charset=utf-8");

    public static DashboardAssets Script { get; } = new("dashboard.js", "text/javascript; charset=utf-8");

    public byte[] Content { get; }

    public string ContentType { get; }

    /// <summary>Gets the name the pages link to, for example <c>dashboard.3f2a9c01b4de.css</c>.</summary>
    public string VersionedName { get; }

    public string ETag { get; }

    public static DashboardAssets? Find(string name) =>
        string.Equals(name, Css.VersionedName, StringComparison.Ordinal) ? Css
        : string.Equals(name, Script.VersionedName, StringComparison.Ordinal) ? Script
        : null;
}
