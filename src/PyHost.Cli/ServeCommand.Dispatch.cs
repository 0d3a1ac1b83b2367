using System.CommandLine;
using System.Globalization;
using PyHost.Http;
using PyHost.Workers.Dispatch;

namespace PyHost.Cli;

/// <summary>How requests reach the workers: buffering of slow clients, the body size limit, pipelining.</summary>
public static partial class ServeCommand
{
    private static readonly Option<long?> MaxRequestBody = new("--max-request-body")
    {
        Description = "The largest request body accepted, in bytes or with k, m or g (nginx's client_max_body_size); "
                      + "larger ones get 413. 0 = no limit. Default: 100m.",
        CustomParser = result => ByteSize(result),
    };
    private static readonly Option<bool> NoRequestBuffering = new("--no-request-buffering")
    {
        Description = "Stream request bodies to the app as it reads them instead of reading them whole first "
                      + "(nginx's proxy_request_buffering off). A slow upload then holds a worker.",
    };
    private static readonly Option<bool> NoResponseBuffering = new("--no-response-buffering")
    {
        Description = "Make workers wait for slow clients instead of the front buffering their responses "
                      + "(nginx's proxy_buffering off). An app can also say 'X-Accel-Buffering: no' per response.",
    };
    private static readonly Option<int?> PipelineDepth = new("--pipeline-depth")
    {
        Description = "Requests without a body a busy worker may hold waiting behind a request that started under "
                      + "1 ms ago, when every worker is busy. 0 turns pipelining off. Default: 4.",
        CustomParser = result => WholeNumber(result),
    };

    private static readonly Option<int?> PipelineAge = new("--pipeline-age")
    {
        Description = "Milliseconds a running request may have run for another to be pipelined behind it. Default: 1.",
        CustomParser = result => WholeNumber(result),
    };

    private static void AddDispatchOptions(Command command)
    {
        command.Options.Add(PipelineAge);
        command.Options.Add(MaxRequestBody);
        command.Options.Add(NoRequestBuffering);
        command.Options.Add(NoResponseBuffering);
        command.Options.Add(PipelineDepth);
    }

    private static TimeSpan PipelineMaxAgeFrom(ParseResult parsed) => TimeSpan.FromMilliseconds(parsed.GetValue(PipelineAge) ?? 1);

    private static DispatchPolicy DispatchPolicyFrom(ParseResult parsed) => new()
    {
        RequestBuffering = !parsed.GetValue(NoRequestBuffering),
        ResponseBuffering = !parsed.GetValue(NoResponseBuffering),
        MaxRequestBodySize = parsed.GetValue(MaxRequestBody) switch
        {
            null => DispatchPolicy.Default.MaxRequestBodySize,
            0 => null,
            { } size => size,
        },
    };

    /// <summary>"1048576", "64k", "100m", "1g" (powers of 1024, as nginx reads them).</summary>
    private static long? ByteSize(System.CommandLine.Parsing.ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value.Trim() : "";
        long multiplier = 1;
        string digits = text;
        if (text.Length > 0 && char.ToLowerInvariant(text[^1]) is 'k' or 'm' or 'g')
        {
            multiplier = char.ToLowerInvariant(text[^1]) switch { 'k' => 1L << 10, 'm' => 1L << 20, _ => 1L << 30 };
            digits = text[..^1];
        }
        if (long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value <= long.MaxValue / multiplier)
        {
            return value * multiplier;
        }
        string name = result.Parent is System.CommandLine.Parsing.OptionResult option ? option.Option.Name : "value";
        result.AddError($"{name} takes a size such as 1048576, 64k, 100m or 1g, not '{text}'");
        return null;
    }
}
