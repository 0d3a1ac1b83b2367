using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace PyHost.Configuration.Model;

/// <summary>
/// Durations as written in the config: a number of seconds (<c>30</c>, <c>0.5</c>) or text with units, alone or
/// combined as Go and Caddy write them: <c>"500ms"</c>, <c>"30s"</c>, <c>"2m"</c>, <c>"1h30m"</c>, <c>"365d"</c>.
/// </summary>
public static class DurationText
{
    private static readonly (string Unit, double Seconds)[] Units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)];

    public static bool TryParse(string text, out TimeSpan duration, [NotNullWhen(false)] out string? error)
    {
        duration = TimeSpan.Zero;
        string rest = text.Trim();
        if (rest.Length == 0)
        {
            error = "a duration is a number of seconds or text such as \"500ms\", \"30s\", \"2m\", \"1h\"";
            return false;
        }
        if (double.TryParse(rest, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double plainSeconds))
        {
            duration = TimeSpan.FromSeconds(plainSeconds);
            error = null;
            return true;
        }
        double total = 0;
        while (rest.Length > 0)
        {
            int digits = 0;
            while (digits < rest.Length && (char.IsAsciiDigit(rest[digits]) || rest[digits] == '.'))
            {
                digits++;
            }
            int letters = digits;
            while (letters < rest.Length && char.IsAsciiLetter(rest[letters]))
            {
                letters++;
            }
            string unit = rest[digits..letters];
            int at = Array.FindIndex(Units, candidate => candidate.Unit == unit);
            if (digits == 0 || at < 0 || !double.TryParse(rest[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double amount))
            {
                error = $"'{text}' is not a duration: use a number of seconds or units ms, s, m, h, d (\"500ms\", \"30s\", \"1h30m\")";
                return false;
            }
            total += amount * Units[at].Seconds;
            rest = rest[letters..];
        }
        duration = TimeSpan.FromSeconds(total);
        error = null;
        return true;
    }

    /// <summary>"30s", "500ms", "2m", "1h30m": the form the config takes back.</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration == TimeSpan.Zero)
        {
            return "0s";
        }
        if (duration.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            return duration.TotalMilliseconds.ToString(CultureInfo.InvariantCulture) + "ms";
        }
        var text = new StringBuilder();
        long seconds = (long)duration.TotalSeconds;
        foreach (var (unit, size) in new[] { ("d", 86400L), ("h", 3600L), ("m", 60L), ("s", 1L) })
        {
            if (seconds >= size)
            {
                text.Append((seconds / size).ToString(CultureInfo.InvariantCulture)).Append(unit);
                seconds %= size;
            }
        }
        return text.ToString();
    }
}
