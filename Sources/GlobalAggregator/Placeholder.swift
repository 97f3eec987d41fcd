import AsyncHTTPClient
import GRDB
import Hummingbird
