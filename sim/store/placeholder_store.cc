// placeholder so the library is not empty
namespace lvlab { int placeholder_store = 0; }
