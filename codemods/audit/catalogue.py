"""Names the audit's scanner recognises (qualified, as imported): event-loop policy API, calls that
connect or build clients at import time, and the fallback blocking-call list."""

from __future__ import annotations

POLICY_NAMES = {
    "asyncio.set_event_loop_policy",
    "asyncio.get_event_loop_policy",
    "asyncio.WindowsSelectorEventLoopPolicy",
    "asyncio.WindowsProactorEventLoopPolicy",
    "asyncio.DefaultEventLoopPolicy",
    "asyncio.AbstractEventLoopPolicy",
}
#: Calls that open a connection when made (so a module-level call needs the network at import).
CONNECTS = {
    "sqlite3.connect", "psycopg2.connect", "psycopg.connect", "pymysql.connect",
    "MySQLdb.connect", "smtplib.SMTP", "smtplib.SMTP_SSL", "socket.create_connection",
    "ftplib.FTP", "pika.BlockingConnection",
}  # fmt: skip
#: Network clients: built at import time they read credentials and bind resources on import.
CLIENTS = {
    "httpx.Client", "httpx.AsyncClient", "requests.Session", "groq.Groq", "groq.AsyncGroq",
    "anthropic.Anthropic", "anthropic.AsyncAnthropic", "openai.OpenAI", "openai.AsyncOpenAI",
    "boto3.client", "boto3.resource", "redis.Redis", "redis.StrictRedis", "redis.from_url",
    "redis.asyncio.Redis", "pymongo.MongoClient", "motor.motor_asyncio.AsyncIOMotorClient",
    "sendgrid.SendGridAPIClient", "aiohttp.ClientSession", "elasticsearch.Elasticsearch",
}  # fmt: skip
#: The fallback blocking-call list (ruff/flake8-async ASYNC2xx), used only when the
#: ``wrap-blocking-calls`` codemod is not installed.
BLOCKING = {
    "time.sleep", "input", "open", "io.open", "os.system", "os.popen", "os.wait", "os.waitpid",
    "subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output",
    "subprocess.Popen", "subprocess.getoutput", "subprocess.getstatusoutput",
    "urllib.request.urlopen", "smtplib.SMTP", "smtplib.SMTP_SSL", "sqlite3.connect",
    "psycopg2.connect", "shutil.copyfile", "shutil.copy", "shutil.copytree", "shutil.rmtree",
    "shutil.move", "socket.create_connection",
    *(f"{lib}.{verb}" for lib in ("requests", "httpx")
      for verb in ("get", "post", "put", "patch", "delete", "head", "options", "request")),
}  # fmt: skip
BLOCKING_PREFIXES = ("sendgrid.", "boto3.", "botocore.")
