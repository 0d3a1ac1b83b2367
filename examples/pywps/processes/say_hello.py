"""The one process of the example service: a greeting, the "hello world" of every pyWPS tutorial."""

from pywps import LiteralInput, LiteralOutput, Process


class SayHello(Process):
    def __init__(self) -> None:
        super().__init__(
            self._handler,
            identifier="say_hello",
            title="Say hello",
            abstract="Returns a greeting for the name it is given.",
            version="1.0",
            inputs=[LiteralInput("name", "Who to greet", data_type="string")],
            outputs=[LiteralOutput("response", "The greeting", data_type="string")],
            store_supported=False,
            status_supported=False,
        )

    @staticmethod
    def _handler(request, response):  # type: ignore[no-untyped-def]
        response.outputs["response"].data = "Hello " + request.inputs["name"][0].data
        return response
