using System.Buffers;
using PyHost.Gateways.FastCgi;
using PyHost.Gateways.Scgi;
using PyHost.Gateways.Uwsgi;

namespace PyHost.Gateways.Tests.Infrastructure;

/// <summary>The CGI variables of a captured request, read by the codec of its protocol.</summary>
internal static class CapturedVariables
{
    public static CgiVariables Read(string capture)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Captures.Load(capture)));
        if (capture.Contains("-uwsgi/"))
        {
            Assert.Equal(OperationStatus.Done, UwsgiRequestReader.TryRead(ref reader, GatewayLimits.Default, out UwsgiRequest? request, out _));
            return request!.Variables;
        }
        if (capture.Contains("-scgi/"))
        {
            Assert.Equal(OperationStatus.Done, ScgiRequestReader.TryRead(ref reader, GatewayLimits.Default, out CgiVariables? variables, out _, out _));
            return variables!;
        }
        var connection = new FastCgiConnection();
        var replies = new ArrayBufferWriter<byte>();
        while (connection.TryReadEvent(ref reader, replies, out FastCgiEvent @event, out _) == OperationStatus.Done)
        {
            if (@event.Kind == FastCgiEventKind.ParamsComplete)
            {
                return @event.Variables!;
            }
        }
        throw new InvalidOperationException($"{capture} has no params");
    }

    /// <summary>The environ the worker would load for the capture, served under <paramref name="scriptName"/>.</summary>
    public static Dictionary<string, string> Environ(string capture, string? scriptName = null)
    {
        Assert.True(GatewayRequest.TryCreate(Read(capture), out GatewayRequest? request, out string? error), error);
        var output = new ArrayBufferWriter<byte>();
        request!.WriteEnviron(output, scriptName);
        return MarshalDict.LoadDictionary(output.WrittenSpan);
    }
}
