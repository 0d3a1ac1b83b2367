namespace PyHost.Configuration.Diagnostics;

/// <summary>"did you mean 'workers'?": the known name closest to a misspelt one.</summary>
public static class Spelling
{
    /// <summary>
    /// The candidate nearest to <paramref name="typed"/> by optimal string alignment distance (Damerau-Levenshtein
    /// without repeated edits of one substring: a swapped pair of letters is one edit), if it is near enough to be
    /// a likely typo: at most a third of the length, and at most 3 edits. Case and '-'/'_' differences count as none.
    /// </summary>
    public static string? Suggest(string typed, IEnumerable<string> candidates)
    {
        string normalized = Normalize(typed);
        if (normalized.Length >= 3
            && candidates.Where(candidate => Normalize(candidate).StartsWith(normalized, StringComparison.Ordinal)).ToList() is [var only])
        {
            return only;   // "warn" for "warning": a prefix of exactly one name
        }
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates)
        {
            int distance = Distance(normalized, Normalize(candidate));
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        int allowed = Math.Min(3, Math.Max(1, normalized.Length / 3));
        return bestDistance <= allowed ? best : null;
    }

    /// <summary>"; did you mean 'x'?" or "", to append to a message.</summary>
    public static string DidYouMean(string typed, IEnumerable<string> candidates) =>
        Suggest(typed, candidates) is { } suggestion ? $"did you mean '{suggestion}'?" : "";

    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }

    private static string Normalize(string name) => name.ToLowerInvariant().Replace('-', '_').TrimStart('_');
}
