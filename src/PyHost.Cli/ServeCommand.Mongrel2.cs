using System.CommandLine;
using PyHost.Http;
using PyHost.Http.Gateways.Mongrel2;

namespace PyHost.Cli;

/// <summary><c>--mongrel2 SEND_SPEC,RECV_SPEC</c>: serve as a Mongrel2 handler.</summary>
public static partial class ServeCommand
{
    private static readonly Option<string[]> Mongrel2 = new("--mongrel2")
    {
        Description = "Serve as a Mongrel2 handler: SEND_SPEC,RECV_SPEC, the ZeroMQ endpoints of Mongrel2's Handler() "
                      + "(tcp://HOST:PORT or ipc://PATH), e.g. tcp://127.0.0.1:9997,tcp://127.0.0.1:9996. Repeatable.",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    private static void AddMongrel2Options(Command command)
    {
        command.Options.Add(Mongrel2);
        command.Validators.Add(result =>
        {
            foreach (string text in result.GetValue(Mongrel2) ?? [])
            {
                if (!Mongrel2Endpoints.TryParse(text, out _, out string? error))
                {
                    result.AddError($"--mongrel2 {error}");
                }
            }
        });
    }

    private static HttpFrontOptions WithMongrel2Options(ParseResult parsed, HttpFrontOptions options) => options with
    {
        Mongrel2 = (parsed.GetValue(Mongrel2) ?? [])
            .Select(text => Mongrel2Endpoints.TryParse(text, out Mongrel2Endpoints? endpoints, out _) ? endpoints : throw new InvalidOperationException(text))
            .ToList(),
    };
}
