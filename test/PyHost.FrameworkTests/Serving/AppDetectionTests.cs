using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace PyHost.FrameworkTests.Serving;

/// <summary>`pyhost serve` without APP: it finds the app in the directory, says what it chose, or asks.</summary>
public sealed class AppDetectionTests(CompatibilityMatrix matrix, ITestOutputHelper output) : MatrixTest(matrix, output), IDisposable
{
    private static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(20);

    private readonly DirectoryInfo scratch = Directory.CreateTempSubdirectory("pyhost-detect-");

    [Fact]
    public Task ADjangoProjectIsFoundThroughManagePyAndItsSettings() => CheckAsync(
        FrameworkRows.AppDetection,
        "Django: manage.py gives DJANGO_SETTINGS_MODULE, the settings give WSGI_APPLICATION; both printed",
        async () =>
        {
            await using WebServer server = await WebServer.StartPyHostAsync(Example("django"), ["-w", "1"]);
            Assert.Matches(@"found a Django project \(manage\.py, DJANGO_SETTINGS_MODULE=mysite\.settings\) in .*; serving mysite\.wsgi:application", server.OutputSince(0));
            Assert.Contains("Setting DJANGO_SETTINGS_MODULE=mysite.settings for the workers", server.OutputSince(0));
            // A page that needs no database: the example's database is not migrated here.
            Assert.Equal("line 1 of 1\n", (await new Browser(server, new()).GetAsync("/stream/?lines=1")).AssertStatus(200).BodyText);
        });

    [Theory]
    [InlineData("flask", "app.py defines 'app'", "app:app", "/")]
    [InlineData("bottle", "app.py defines 'app'", "app:app", "/hello/you")]
    [InlineData("pywps", "wsgi.py defines 'application'", "wsgi:application", "/wps?service=WPS&request=GetCapabilities")]
    public Task AModuleDefiningAppOrApplicationIsFound(string example, string reason, string spec, string path) => CheckAsync(
        FrameworkRows.AppDetection,
        "wsgi.py / app.py / application.py defining `application` or `app`, found and printed",
        async () =>
        {
            await using WebServer server = await WebServer.StartPyHostAsync(Example(example), ["-w", "1"]);
            Assert.Contains($"No APP given: found {reason} in {Example(example)}; serving {spec}", server.OutputSince(0));
            (await new Browser(server, new()).GetAsync(path)).AssertStatus(200);
        });

    [Fact]
    public Task SeveralCandidatesAreListedAndPyHostAsksForApp() => CheckAsync(
        FrameworkRows.AppDetection,
        "several candidates: listed, APP asked for, exit status 2",
        async () =>
        {
            File.WriteAllText(Path.Combine(scratch.FullName, "app.py"), "from flask import Flask\n\napp = Flask(__name__)\n");
            File.WriteAllText(Path.Combine(scratch.FullName, "wsgi.py"), "from app import app as application\n");
            await using TestProcess pyhost = TestProcess.Start(Repository.PyHostExecutable, ["serve", "--python", Repository.Python], scratch.FullName);

            Assert.Equal(2, await pyhost.WaitForExitAsync(ExitDeadline));
            string printed = pyhost.OutputSince(0);
            Assert.Contains("more than one app could be served", printed);
            Assert.Matches(new Regex(@"(?m)^\s+wsgi:application\s+\(wsgi\.py defines 'application'\)$"), printed);
            Assert.Matches(new Regex(@"(?m)^\s+app:app\s+\(app\.py defines 'app'\)$"), printed);
            Assert.Contains("Name the one to serve", printed);
        });

    [Theory]
    [InlineData("app = Flask(__name__)", true)]
    [InlineData("app: Flask = Flask(__name__)", true)]
    [InlineData("def app(environ, start_response):\n    pass", true)]
    [InlineData("from gallery import app", true)]
    [InlineData("from gallery import create_app as app", true)]
    [InlineData("from gallery import (\n    create_app,\n    app,  # the WSGI app\n)", true)]
    [InlineData("import gallery.wsgi as app", true)]
    [InlineData("def main():\n    app = Flask(__name__)", false)]
    [InlineData("if __name__ == '__main__':\n    app.run()", false)]
    [InlineData("# app = Flask(__name__)", false)]
    [InlineData("app.config['DEBUG'] = False", false)]
    [InlineData("apple = 1", false)]
    [InlineData("from gallery import apps", false)]
    public Task OnlyANameBoundAtModuleLevelMakesACandidate(string appPySource, bool found) => CheckAsync(
        FrameworkRows.AppDetection,
        "what counts as defining `app`: module-level def, assignment, import; not inside a function or a comment",
        async () =>
        {
            // Two other candidates make pyhost list them all and exit, so the list says whether app.py counted.
            File.WriteAllText(Path.Combine(scratch.FullName, "wsgi.py"), "application = None\n");
            File.WriteAllText(Path.Combine(scratch.FullName, "application.py"), "def application(environ, start_response):\n    pass\n");
            File.WriteAllText(Path.Combine(scratch.FullName, "app.py"), appPySource + "\n");
            await using TestProcess pyhost = TestProcess.Start(Repository.PyHostExecutable, ["serve", "--python", Repository.Python], scratch.FullName);

            Assert.Equal(2, await pyhost.WaitForExitAsync(ExitDeadline));
            Assert.Equal(found, pyhost.OutputSince(0).Contains("app:app", StringComparison.Ordinal));
        });

    [Theory]
    [InlineData("--paste no-such.ini", "no such file")]
    [InlineData("app:app --paste development.ini", "give either module (argument APP) or paste (flag --paste), not both")]
    [InlineData("--paste development.ini#", "\"development.ini#\" is not \"FILE.ini\" or \"FILE.ini#SECTION\"")]
    [InlineData("--static /static", "expected URL_PREFIX=DIR")]
    [InlineData("--static /static=no-such-dir", "no such directory")]
    [InlineData("--static /st%61tic=.", "plain path")]
    public Task BadPasteAndStaticOptionsExitWithStatus2(string arguments, string message) => CheckAsync(
        FrameworkRows.AppDetection,
        "--paste and --static mistakes: a message and exit status 2",
        async () =>
        {
            File.WriteAllText(Path.Combine(scratch.FullName, "development.ini"), "[app:main]\nuse = call:app:main\n");
            await using TestProcess pyhost = TestProcess.Start(
                Repository.PyHostExecutable, ["serve", "--python", Repository.Python, .. arguments.Split(' ')], scratch.FullName);

            Assert.Equal(2, await pyhost.WaitForExitAsync(ExitDeadline));
            Assert.Contains(message, pyhost.OutputSince(0));
        });

    public void Dispose() => scratch.Delete(recursive: true);

    private static string Example(string name) => Path.Combine(Repository.Root, "examples", name);
}
