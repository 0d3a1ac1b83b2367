using PyHost.Configuration.Schema;

namespace PyHost.Configuration.Tests.Schema;

public class GeneratedDocsTests
{
    [Fact]
    public void GeneratedSchemaFileIsUpToDate() =>
        GeneratedFiles.AssertUpToDate("docs/pyhost.schema.json", JsonSchemaWriter.Generate());

    [Fact]
    public void GeneratedReferenceInConfigurationDocIsUpToDate() =>
        GeneratedFiles.AssertSectionUpToDate("docs/configuration.md", ReferenceDocWriter.Start, ReferenceDocWriter.End, ReferenceDocWriter.Generate());
}
