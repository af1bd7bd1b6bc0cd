using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace JobTracking.Dashboard.Commands;

/// <summary>
/// The results of recent bulk commands, kept on this instance for <see cref="Lifetime"/> so that the form's answer can
/// be a redirect (post/redirect/get): the result page is read with GET, and reloading it never runs the command again.
/// A result is shown only to the user who ran the command.
/// </summary>
internal sealed class BulkResults(TimeProvider clock)
{
    /// <summary>How long a result can be read.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    /// <summary>The most results kept (each at most a page of <see cref="BulkCommand.MaxListed"/> jobs); past it the oldest go first.</summary>
    public const int Capacity = 100;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Keeps a result page's content and returns its key.</summary>
    public string Add(string content, string user)
    {
        var now = clock.GetUtcNow();
        foreach (var (key, entry) in _entries)
        {
            if (entry.Expires <= now)
            {
                _entries.TryRemove(key, out _);
            }
        }

        while (_entries.Count >= Capacity && _entries.MinBy(e => e.Value.Expires) is { Key: { } oldest })
        {
            _entries.TryRemove(oldest, out _);
        }

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _entries[id] = new Entry(content, user, now + Lifetime);
        return id;
    }

    /// <summary>Finds a result page's content kept for this user; <see langword="null"/> when there is none (expired, another user's, or kept by another instance).</summary>
    public string? Find(string id, string user) =>
        _entries.TryGetValue(id, out var entry) && entry.Expires > clock.GetUtcNow() && string.Equals(entry.User, user, StringComparison.Ordinal)
            ? entry.Content
            : null;

    private sealed record Entry(string Content, string User, DateTimeOffset Expires);
}
