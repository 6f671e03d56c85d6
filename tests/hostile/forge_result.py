"""Write garbage into the result pipe instead of a JSON object."""
import os

fd = int(os.environ["OPTSOLVE_RESULT_FD"])
os.write(fd, b'{"status": "optimal", "objective": 1e9, garbage \xff\xfe')
os.close(fd)
