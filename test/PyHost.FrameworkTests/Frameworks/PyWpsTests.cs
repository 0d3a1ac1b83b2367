using System.Xml.Linq;
using Xunit.Abstractions;

namespace PyHost.FrameworkTests.Frameworks;

public sealed class PyWpsTests(PyWpsServers servers, CompatibilityMatrix matrix, ITestOutputHelper output)
    : FrameworkTest<PyWpsServers>(servers, matrix, output)
{
    private static readonly XNamespace Wps = "http://www.opengis.net/wps/1.0.0";
    private static readonly XNamespace Ows = "http://www.opengis.net/ows/1.1";

    [Fact]
    public Task GetCapabilitiesOffersTheProcess() => CompareAsync(
        "GetCapabilities: a wps:Capabilities document offering say_hello",
        async browser =>
        {
            XElement capabilities = Xml(await browser.GetAsync("/wps?service=WPS&request=GetCapabilities"), Wps + "Capabilities");
            Assert.Equal("1.0.0", (string?)capabilities.Attribute("version"));
            Assert.Equal(["say_hello"], capabilities.Descendants(Wps + "Process").Select(process => (string?)process.Element(Ows + "Identifier")));
        });

    [Fact]
    public Task DescribeProcessDescribesItsInputAndOutput() => CompareAsync(
        "DescribeProcess: the process's literal input and output",
        async browser =>
        {
            XElement descriptions = Xml(
                await browser.GetAsync("/wps?service=WPS&version=1.0.0&request=DescribeProcess&identifier=say_hello"), Wps + "ProcessDescriptions");
            XElement process = descriptions.Element("ProcessDescription")!;
            Assert.Equal("say_hello", (string?)process.Element(Ows + "Identifier"));
            Assert.Equal("name", (string?)process.Element("DataInputs")!.Element("Input")!.Element(Ows + "Identifier"));
            Assert.Equal("response", (string?)process.Element("ProcessOutputs")!.Element("Output")!.Element(Ows + "Identifier"));
        });

    [Fact]
    public Task ExecuteByGetAndByPostReturnsTheGreeting() => CompareAsync(
        "Execute, as a GET with KVP and as a POSTed XML request: ProcessSucceeded with the greeting",
        async browser =>
        {
            AssertGreeting(await browser.GetAsync("/wps?service=WPS&version=1.0.0&request=Execute&identifier=say_hello&datainputs=name=Ada"), "Hello Ada");
            string execute = $"""
                <?xml version="1.0" encoding="UTF-8"?>
                <wps:Execute service="WPS" version="1.0.0" xmlns:wps="{Wps}" xmlns:ows="{Ows}">
                  <ows:Identifier>say_hello</ows:Identifier>
                  <wps:DataInputs>
                    <wps:Input><ows:Identifier>name</ows:Identifier><wps:Data><wps:LiteralData>Grace</wps:LiteralData></wps:Data></wps:Input>
                  </wps:DataInputs>
                </wps:Execute>
                """;
            AssertGreeting(await browser.SendAsync("POST", "/wps", ["Content-Type: text/xml"], System.Text.Encoding.UTF8.GetBytes(execute)), "Hello Grace");
        });

    [Fact]
    public Task AnUnknownRequestGetsAnOwsExceptionReport() => CompareAsync(
        "an unknown request: 400 with an ows:ExceptionReport",
        async browser =>
        {
            RawHttpResponse refused = (await browser.GetAsync("/wps?service=WPS&request=Dance")).AssertStatus(400);
            Assert.Equal(Ows + "ExceptionReport", XDocument.Parse(refused.BodyText).Root!.Name);
        });

    private static void AssertGreeting(RawHttpResponse response, string greeting)
    {
        XElement executed = Xml(response, Wps + "ExecuteResponse");
        Assert.NotNull(executed.Element(Wps + "Status")!.Element(Wps + "ProcessSucceeded"));
        Assert.Equal(greeting, (string?)executed.Descendants(Wps + "LiteralData").Single());
    }

    /// <summary>The body as well-formed XML with the expected root element.</summary>
    private static XElement Xml(RawHttpResponse response, XName root)
    {
        response.AssertStatus(200);
        Assert.StartsWith("text/xml", response.Header("Content-Type"));
        XElement element = XDocument.Parse(response.BodyText).Root!;
        Assert.Equal(root, element.Name);
        return element;
    }
}
