using System.Globalization;

namespace OpenLoop;

public sealed class OpenLoopOptions
{
    public const string Usage = """
        openloop --port PORT --rate REQUESTS_PER_SECOND --seconds S [options]
          --host ADDRESS        default 127.0.0.1
          --path PATH           the fast request; default /
          --slow-path PATH      the slow request (none by default)
          --slow-every N        on average one request in N is slow (seeded random); default 50
          --seed N              default 1
          --max-connections N   connections open at most; default 1024
          --timeout S           a request without a response after S seconds is given up; default 5
        Prints one JSON line: latency percentiles of fast and slow requests counted from when each was due.
        """;

    public string Host { get; private set; } = "127.0.0.1";
    public int Port { get; private set; }
    public double Rate { get; private set; }
    public double Seconds { get; private set; }
    public string Path { get; private set; } = "/";
    public string? SlowPath { get; private set; }
    public int SlowEvery { get; private set; } = 50;
    public int Seed { get; private set; } = 1;
    public int MaxConnections { get; private set; } = 1024;
    public double TimeoutSeconds { get; private set; } = 5;

    /// <summary>The options, or an error message naming the flag.</summary>
    public static (OpenLoopOptions? Options, string? Error) Parse(string[] args)
    {
        var options = new OpenLoopOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string flag = args[i];
            if (i + 1 >= args.Length)
            {
                return (null, $"{flag} needs a value");
            }
            string value = args[++i];
            switch (flag)
            {
                case "--host": options.Host = value; break;
                case "--port" when Whole(value, 1, 65535) is { } port: options.Port = port; break;
                case "--rate" when Positive(value) is { } rate: options.Rate = rate; break;
                case "--seconds" when Positive(value) is { } seconds: options.Seconds = seconds; break;
                case "--path" when value.StartsWith('/'): options.Path = value; break;
                case "--slow-path" when value.StartsWith('/'): options.SlowPath = value; break;
                case "--slow-every" when Whole(value, 1, int.MaxValue) is { } every: options.SlowEvery = every; break;
                case "--seed" when Whole(value, int.MinValue, int.MaxValue) is { } seed: options.Seed = seed; break;
                case "--max-connections" when Whole(value, 1, 65535) is { } max: options.MaxConnections = max; break;
                case "--timeout" when Positive(value) is { } timeout: options.TimeoutSeconds = timeout; break;
                default: return (null, $"{flag} {value}: not a known option with a valid value");
            }
        }
        if (options.Port == 0 || options.Rate == 0 || options.Seconds == 0)
        {
            return (null, "--port, --rate and --seconds are required");
        }
        return (options, null);
    }

    private static int? Whole(string value, int min, int max) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max
            ? n : null;

    private static double? Positive(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double n) && n > 0 && double.IsFinite(n)
            ? n : null;
}
