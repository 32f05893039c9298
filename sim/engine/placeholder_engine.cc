// placeholder so the library is not empty
namespace lvlab { int placeholder_engine = 0; }
